"""Group-buy (拼团): opening a group, joining it, its success when full and its refund when it expires.

Every join, the leader's too, is an ordinary mall order of the offer's product in the state
`awaiting_group`: it takes one unit of stock and counts toward the product's per-user limit. Its
points go from the member's wallet into the group's escrow account. The last join succeeds the
group in the same database transaction: the orders are fulfilled (vouchers issued) and the escrow
goes to the sink. A group still open at its deadline fails: each member is refunded from escrow,
the orders are cancelled and the stock returned.

Lock order (docs/concurrency.md): the member locks (the joiner; with a share binding, the leader
and the leader's inviter chain too), then the offer row (opening only), the group row, the
orders the last join fulfils, then the accounts (all of them in one go), then the product row (a
conditional UPDATE). Every per-user check (already a member, new users only, the product's
per-user limit, which mall orders and assist rewards share) runs under the joiner's member lock;
the group row lock makes the last join and the expiry exclusive: exactly one outcome. The
first-redemption rewards of the members a success fulfils run after commit, each in its member's
own transaction.
"""

import datetime as dt
import functools
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember, GroupBuyOffer
from core.celery import enqueue_on_commit
from core.clock import now, window_open
from core.exceptions import ApplicationError
from core.locks import lock_members, lock_one, lock_shared, retry_on_conflict
from events.services import event_record
from mall.models import Order, Product
from mall.services import (
    coupons_issue,
    out_of_stock,
    product_level_check,
    product_limit_check,
    product_on_sale,
    product_tag_check,
)
from points.models import Transaction
from points.services.ledger import account_escrow, account_for_user, account_sink, ledger_lock, ledger_post
from referral.services.attribution import referral_bind_via_share, referral_share_members

logger = logging.getLogger(__name__)

# -- errors -------------------------------------------------------------------------------------


def _not_found() -> ApplicationError:
    return ApplicationError("not_found", _("Not found."), 404)


def _group_closed() -> ApplicationError:
    return ApplicationError("group_closed", _("This group-buy has closed."), 409)


def _already_member() -> ApplicationError:
    return ApplicationError("already_member", _("You are already in this group."), 409)


# -- helpers ------------------------------------------------------------------------------------


def offer_open_now(offer: GroupBuyOffer, *, at: dt.datetime | None = None) -> bool:
    return window_open(active=offer.is_active, starts_at=offer.starts_at, ends_at=offer.ends_at, at=at)


def _add_member(*, group: GroupBuyGroup, user, product: Product) -> GroupBuyMember:
    """Inside the caller's transaction, with the group row locked: the order, the payment into
    escrow and the stock for one member."""
    product_limit_check(user=user, product=product, quantity=1)
    product_level_check(user=user, level=product.level_required)
    product_tag_check(user=user, product=product)
    if product.stock is not None and product.stock < 1:
        raise out_of_stock()
    try:
        with transaction.atomic():
            member = GroupBuyMember.objects.create(group=group, user=user)
    except IntegrityError:
        raise _already_member() from None
    order = Order.objects.create(
        user=user, product=product, quantity=1, points=group.price, status=Order.Status.AWAITING_GROUP
    )
    payment = ledger_post(
        kind=Transaction.Kind.GROUPBUY,
        key=f"groupbuy:join:{member.pk}",
        legs=[(account_for_user(user), -group.price), (account_escrow(group.pk), group.price)],
        memo=product.name,
        actor=user,
        metadata={"group": group.pk, "member": member.pk, "order": order.pk},
    )
    order.transaction = payment
    order.save(update_fields=["transaction"])
    if product.stock is not None:
        taken = Product.objects.filter(pk=product.pk, stock__gte=1).update(stock=F("stock") - 1)
        if taken != 1:
            raise out_of_stock()  # rolls back the member, the order and the payment
    member.order, member.transaction = order, payment
    member.save(update_fields=["order", "transaction"])
    GroupBuyGroup.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    group.member_count += 1
    return member


def _succeed(*, group: GroupBuyGroup, product: Product) -> None:
    """The group is full: fulfil every order (the earlier members' locked by the caller, the last
    one its own) and move the escrow to the sink."""
    members = list(group.members.order_by("pk"))
    orders = list(Order.objects.select_related("user").filter(pk__in=[m.order_id for m in members]).order_by("pk"))
    total = group.price * len(members)
    ledger_post(
        kind=Transaction.Kind.GROUPBUY,
        key=f"groupbuy:settle:{group.pk}",
        legs=[(account_escrow(group.pk), -total), (account_sink(), total)],
        memo=product.name,
        metadata={"group": group.pk, "members": len(members)},
    )
    moment = now()
    for order in orders:
        if product.kind in (Product.Kind.VOUCHER, Product.Kind.COUPON):
            coupons_issue(order=order, product=product)
            order.status, order.fulfilled_at = Order.Status.FULFILLED, moment  # the codes are the goods
        else:
            order.status = Order.Status.CREATED  # physical goods: operators send them as any order
        order.save(update_fields=["status", "fulfilled_at"])
    group.status, group.closed_at = GroupBuyGroup.Status.SUCCEEDED, moment
    group.save(update_fields=["status", "closed_at"])
    # Each order now stands as a redemption: its member's first-redemption rules apply, in the
    # member's own transaction once this one commits (they are other members' reactions).
    from mall.tasks import redemption_referral_reward_task

    for order in orders:
        event_record(user=order.user, kind="redeemed", amount=order.points, ref=f"order:{order.pk}")
        transaction.on_commit(functools.partial(redemption_referral_reward_task.delay, order.pk))


def _fail(*, group: GroupBuyGroup, actor=None) -> int:
    """Refund every member from escrow, cancel their orders and return the stock. Returns how many."""
    members = list(group.members.select_related("order__product", "user").order_by("pk"))
    orders = {o.pk: o for o in lock_shared(Order.objects.filter(pk__in=[m.order_id for m in members]))}
    escrow = account_escrow(group.pk)
    ledger_lock(escrow, *(account_for_user(member.user) for member in members))
    moment = now()
    for member in members:
        refund = ledger_post(
            kind=Transaction.Kind.REFUND,
            key=f"groupbuy:refund:{member.pk}",
            legs=[(escrow, -group.price), (account_for_user(member.user), group.price)],
            memo=str(_("Group-buy refund")),
            actor=actor,
            metadata={"group": group.pk, "member": member.pk, "order": member.order_id},
            refund_of=member.transaction,
        )
        member.refund = refund
        member.save(update_fields=["refund"])
        order = orders[member.order_id]
        order.status, order.cancelled_at, order.refund = Order.Status.CANCELLED, moment, refund
        order.save(update_fields=["status", "cancelled_at", "refund"])
        Product.objects.filter(pk=order.product_id, stock__isnull=False).update(stock=F("stock") + order.quantity)
    group.status, group.closed_at = GroupBuyGroup.Status.FAILED, moment
    group.save(update_fields=["status", "closed_at"])
    return len(members)


def _lock_group(group_id: int) -> GroupBuyGroup:
    group = lock_one(GroupBuyGroup.objects.filter(pk=group_id))
    if group is None:
        raise _not_found()
    return group


def _schedule_expiry(group: GroupBuyGroup) -> None:
    enqueue_on_commit("campaigns.tasks.group_expire_task", group.pk, eta=group.expires_at)


# -- services -----------------------------------------------------------------------------------


@retry_on_conflict
@transaction.atomic
def groupbuy_group_open(*, user, offer_id: int) -> GroupBuyGroup:
    """The leader opens a group of an offer and joins it as its first member."""
    lock_members(user)
    offer = lock_one(GroupBuyOffer.objects.filter(pk=offer_id))
    if offer is None or not offer.is_active:
        raise _not_found()
    product = Product.objects.select_related("level_required").get(pk=offer.product_id)
    if not offer_open_now(offer) or not product_on_sale(product):
        raise ApplicationError("offer_closed", _("This group-buy is not open now."), 409)
    # The offer row is locked, so these counts cannot be raced past.
    if offer.total_groups and GroupBuyGroup.objects.filter(offer=offer).count() >= offer.total_groups:
        raise ApplicationError("offer_sold_out", _("No more groups can be opened for this offer."), 409)
    if offer.groups_per_user:
        opened = GroupBuyGroup.objects.filter(offer=offer, leader=user).exclude(status=GroupBuyGroup.Status.FAILED)
        if opened.count() >= offer.groups_per_user:
            raise ApplicationError("limit_reached", _("You have opened as many groups as this offer allows."), 409)
    moment = now()
    group = GroupBuyGroup.objects.create(
        offer=offer,
        leader=user,
        group_size=offer.group_size,
        price=offer.price,
        expires_at=moment + dt.timedelta(hours=offer.time_limit_hours),
    )
    _add_member(group=group, user=user, product=product)
    _schedule_expiry(group)
    return group


def _new_users_only() -> ApplicationError:
    return ApplicationError("new_users_only", _("Only new users may join this group-buy."), 403)


@retry_on_conflict
@transaction.atomic
def groupbuy_group_join(*, user, group_id: int) -> GroupBuyGroup:
    """A friend joins through the share (scene `g=<id>`). The last join succeeds the group."""
    leader = GroupBuyGroup.objects.select_related("leader").filter(pk=group_id).first()
    if leader is None:
        raise _not_found()
    lock_members(*referral_share_members(user=user, sharer=leader.leader))
    group = _lock_group(group_id)
    if group.members.filter(user=user).exists():
        raise _already_member()
    if group.status == GroupBuyGroup.Status.SUCCEEDED or group.member_count >= group.group_size:
        raise ApplicationError("group_full", _("This group is full."), 409)
    if group.status != GroupBuyGroup.Status.OPEN or group.expires_at <= now():
        raise _group_closed()  # past the deadline even if the expiry has not run yet
    offer = group.offer
    if offer.new_users_only and Order.objects.filter(user=user).exists():
        raise _new_users_only()  # under the member lock: two groups joined at once cannot both pass
    product = Product.objects.select_related("level_required").get(pk=offer.product_id)
    fills = group.member_count + 1 == group.group_size
    if fills:  # the orders the success fulfils, before any account
        lock_shared(Order.objects.filter(pk__in=group.members.values("order_id")))
    accounts = (account_for_user(user), account_escrow(group.pk), account_sink() if fills else None)
    referral_bind_via_share(user=user, sharer=group.leader, also_lock=accounts)
    ledger_lock(*accounts)
    _add_member(group=group, user=user, product=product)
    if group.member_count == group.group_size:
        _succeed(group=group, product=product)
    return group


def groupbuy_group_expire(*, group_id: int, force: bool = False, actor=None) -> bool:
    """Fail an open group whose deadline has passed (any open group with `force`, the operators'
    manual refund). Whatever else (succeeded, already refunded, not yet due) is left alone, so a
    task delivered twice or late changes nothing. Returns whether this call refunded the group."""
    with transaction.atomic():
        group = lock_one(GroupBuyGroup.objects.filter(pk=group_id))
        if group is None or group.status != GroupBuyGroup.Status.OPEN:
            return False
        if not force and group.expires_at > now():
            return False
        refunded = _fail(group=group, actor=actor)
    logger.info("group-buy %s failed: %s members refunded", group_id, refunded)
    return True


def groupbuys_expire_due(*, at: dt.datetime | None = None) -> int:
    """The sweep: fail every open group past its deadline, one transaction each. Returns how many."""
    due = GroupBuyGroup.objects.filter(status=GroupBuyGroup.Status.OPEN, expires_at__lte=at or now())
    return sum(groupbuy_group_expire(group_id=group_id) for group_id in due.order_by("pk").values_list("pk", flat=True))
