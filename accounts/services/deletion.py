"""A member deletes their account (`DELETE /api/me`, docs/privacy.md).

One transaction, in the lock order of docs/concurrency.md:

1. the member (their per-user lock: every request of theirs that changes anything waits here);
2. the shared objects it closes: the open group-buys they are in, their unfinished assist and
   bargain tasks, the orders those hold and their own unfinished orders, then those orders' vouchers;
3. every ledger account it posts to, in one go: their wallet, the `expired` sink, each group's
   escrow and every member's wallet, the sinks their refunded orders paid;
4. stock, returned last by conditional UPDATEs.

Then a second, tiny transaction releases the unique identifiers (openid, username): see
`_identifiers_release` for why they cannot change inside the first.

What it settles, as the deadlines would have: each open group-buy they are in fails (every member
refunded from escrow, orders cancelled, stock back: what its expiry does); each unfinished task
expires (a reserved reward goes back to stock); an order not yet sent, or a voucher order none of
whose vouchers was used or expired, is cancelled with its points refunded (what a cancellation
does); vouchers left on a partly used order are cancelled (they lapse, as at expiry). Then the
whole balance is forfeited to the `expired` sink in one ledger transaction, so the books stay
balanced and every wallet's lots still hold its balance.

What it anonymises: nickname (a fixed label), avatar (file deleted), phone, openid and unionid
(so the WeChat account can register anew), username, names and e-mail, birthday, gender and
city, delivery addresses, check-in
notes and photos, stored posters. Verified numbers become keyed digests (the referral rules still
see that a number was used once). Kept, pointing at the anonymised user: ledger, orders, referral
rows and rewards, check-ins, events: the other members' history and the books need them.

Running it again (a second tap, the nightly sweep) settles whatever has happened since (a payout
or a reward that reached the wallet afterwards) and changes nothing else.
"""

import hashlib
import hmac
import logging
from collections import Counter, defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import AccountDeletion
from campaigns.assist.models import AssistCampaign, AssistTask
from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember
from checkin.models import CheckIn
from core.clock import now
from core.exceptions import ApplicationError
from core.faces import user_faces_forget
from core.locks import lock_members, lock_shared, retry_on_conflict
from core.models import User, VerifiedPhone
from mall.models import Coupon, Order, Product
from mall.services.commissions import order_commission_void
from mall.services.orders import order_sink
from points.models import Account, Transaction
from points.services.ledger import (
    account_escrow,
    account_expired,
    account_for_user,
    ledger_lock,
    ledger_post,
)
from referral.models import Referral

logger = logging.getLogger(__name__)

DIGEST_PREFIX = "#"  # a stored phone that starts with it is a digest, never a number
_PHONE_DIGEST_LENGTH = 20  # core.VerifiedPhone.phone and referral.Referral.counted_phone hold 20
_VOUCHER_KINDS = (Product.Kind.VOUCHER, Product.Kind.COUPON)
FORFEIT_MEMO = "账户注销，积分作废"


def keyed_digest(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of `value` under the SECRET_KEY (hex): the same input gives the same digest,
    and nobody without the key can test a guess against it."""
    key = f"accounts.deletion:{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def phone_digest(number: str) -> str:
    """What a deleted account keeps of a phone number it verified: a keyed digest that fits where
    the number was stored, so "this number was used" can still be checked, and nothing else."""
    if number.startswith(DIGEST_PREFIX):
        return number
    return DIGEST_PREFIX + keyed_digest(number, purpose="phone")[: _PHONE_DIGEST_LENGTH - len(DIGEST_PREFIX)]


def wechat_digest(identifier: str, *, kind: str) -> str:
    return keyed_digest(identifier, purpose=kind) if identifier else ""


def deleted_nickname() -> str:
    """The name other members see in place of a deleted member's (boards, invitee lists, groups)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Deleted user")


def _staff_account() -> ApplicationError:
    return ApplicationError(
        "staff_account", _("A staff account cannot be deleted here; ask an administrator to close it."), 403
    )


# -- the service ------------------------------------------------------------------------------------


def user_delete(*, user) -> AccountDeletion:
    """Delete `user`'s account: anonymise it, settle what is open, forfeit the points, revoke
    every token (one transaction); then release its WeChat identifiers (a second one, see
    `_identifiers_release`). Idempotent: a second call settles only what reached the account since."""
    deletion = _user_delete(user=user)
    _identifiers_release(user_id=deletion.user_id)
    deletion.refresh_from_db()
    return deletion


@retry_on_conflict
def _user_delete(*, user) -> AccountDeletion:
    with transaction.atomic():
        lock_members(user)
        user = User.objects.get(pk=user.pk)
        if user.is_staff or user.is_superuser:
            raise _staff_account()
        deletion, created = AccountDeletion.objects.get_or_create(
            user=user,
            defaults={
                "openid_digest": wechat_digest(user.openid or "", kind="openid"),
                "unionid_digest": wechat_digest(user.unionid or "", kind="unionid"),
            },
        )
        files = _anonymise_user(user)
        _forget_personal_rows(user)
        settled = _settle(user)
        _revoke_tokens(user)
        AccountDeletion.objects.filter(pk=deletion.pk).update(
            points_forfeited=F("points_forfeited") + settled["points"],
            orders_cancelled=F("orders_cancelled") + settled["orders"],
            groups_failed=F("groups_failed") + settled["groups"],
            tasks_expired=F("tasks_expired") + settled["tasks"],
            swept_at=now() if not created and any(settled.values()) else F("swept_at"),
        )
        transaction.on_commit(lambda: _forget_files(user_id=user.pk, names=files))
    return deletion


@retry_on_conflict
@transaction.atomic
def _identifiers_release(*, user_id: int) -> None:
    """Clear the openid and unionid (so the WeChat account can register anew) and the username, in a
    transaction of their own that holds no other lock. They are unique columns: changing one takes
    the row's strongest lock (FOR UPDATE), which waits for every transaction that is inserting a row
    referring to the member (a foreign-key check holds KEY SHARE on it). Inside the deletion's own
    transaction, one of those (a friend's help on the member's task, holding the task) could wait
    for the deletion while the deletion waits for it: a deadlock. Here it only waits its turn. The
    account is already inactive, so no login or request can use it meanwhile; the nightly sweep
    finishes a release a crash interrupted."""
    User.objects.filter(pk=user_id, is_active=False, deletion__isnull=False).exclude(
        openid__isnull=True, unionid="", username=f"deleted_{user_id}"
    ).update(openid=None, unionid="", username=f"deleted_{user_id}")


def accounts_deleted_sweep() -> int:
    """The nightly job: settle deleted accounts that something reached after they were deleted (a
    challenge payout, an inviter's reward, a request that got past the login check just before).
    One transaction per account. Returns how many were settled."""
    unfinished_orders = Order.objects.filter(
        status__in=[Order.Status.CREATED, Order.Status.AWAITING_GROUP, Order.Status.AWAITING_ASSIST]
    )
    due = AccountDeletion.objects.filter(
        Q(user__openid__isnull=False)  # a release a crash interrupted
        | Q(user__points_account__balance__gt=0)
        | Q(user__in=unfinished_orders.values("user_id"))
        | Q(user__in=Coupon.objects.filter(status=Coupon.Status.UNUSED).values("user_id"))
        | Q(user__in=GroupBuyMember.objects.filter(group__status=GroupBuyGroup.Status.OPEN).values("user_id"))
        | Q(user__in=_expirable_tasks().values("user_id"))
    ).distinct()
    count = 0
    for user_id in due.order_by("pk").values_list("user_id", flat=True):
        try:
            user_delete(user=User(pk=user_id))
        except ApplicationError as exc:  # busy: the next night finishes it
            logger.warning("deleted account %s not swept: %s", user_id, exc.code)
            continue
        count += 1
    return count


# -- settling ---------------------------------------------------------------------------------------


def _expirable_tasks():
    """Tasks an expiry would close: open ones, and bargains completed but not yet bought."""
    return AssistTask.objects.filter(
        Q(status=AssistTask.Status.OPEN)
        | Q(status=AssistTask.Status.COMPLETED, campaign__kind=AssistCampaign.Kind.BARGAIN)
    )


def _settle(user) -> dict[str, int]:
    """Close what the member has open and forfeit their points. Level 2 (shared objects), then 3
    (accounts, in one go), then the postings, then 4 (stock). Returns what it did, by kind."""
    moment = now()
    # 2. Shared objects: the groups and tasks first (a join or a help waits on them, then finds
    # them closed), then every order they hold and the member's own unfinished orders.
    groups = lock_shared(GroupBuyGroup.objects.filter(status=GroupBuyGroup.Status.OPEN, members__user=user))
    tasks = lock_shared(_expirable_tasks().select_related("campaign").filter(user=user))
    members = list(GroupBuyMember.objects.filter(group__in=groups).select_related("user").order_by("pk"))
    own = Order.objects.filter(user=user, status__in=[Order.Status.CREATED, Order.Status.FULFILLED])
    order_ids = {m.order_id for m in members} | {t.order_id for t in tasks if t.order_id}
    order_ids |= set(own.values_list("pk", flat=True))
    orders = {o.pk: o for o in lock_shared(Order.objects.select_related("product").filter(pk__in=order_ids))}
    voucher_orders = [
        o
        for o in orders.values()
        if o.user_id == user.pk and o.status == Order.Status.FULFILLED and o.product.kind in _VOUCHER_KINDS
    ]
    coupons_of: dict[int, list[Coupon]] = defaultdict(list)
    for coupon in lock_shared(Coupon.objects.filter(order__in=voucher_orders)):
        coupons_of[coupon.order_id].append(coupon)

    # What the member's own orders become: cancelled with a refund, or only their unused vouchers.
    refunded, lapsed = [], []
    for order in sorted(orders.values(), key=lambda o: o.pk):
        if order.user_id != user.pk:
            continue
        if order.status == Order.Status.CREATED:
            refunded.append(order)
        elif order in voucher_orders:
            coupons = coupons_of[order.pk]
            if any(c.status in (Coupon.Status.USED, Coupon.Status.EXPIRED) for c in coupons):
                lapsed += [c for c in coupons if c.status == Coupon.Status.UNUSED]
            elif any(c.status == Coupon.Status.UNUSED for c in coupons) or not coupons:
                refunded.append(order)

    # Their inviter's held commissions on the orders refunded here are void (level 2, as a cancel does).
    for order in refunded:
        order_commission_void(order=order)

    # 3. Every account any posting below touches, in one go (ascending ids).
    wallet, expired = account_for_user(user), account_expired()
    escrows = {group.pk: account_escrow(group.pk) for group in groups}
    member_wallets = {m.user_id: account_for_user(m.user) for m in members}
    sinks = {order.pk: order_sink(order) for order in refunded if order.points and order.transaction_id}
    ledger_lock(wallet, expired, *escrows.values(), *member_wallets.values(), *sinks.values())

    stock: Counter = Counter()

    def cancel(order: Order, refund: Transaction | None = None) -> None:
        order.status, order.cancelled_at = Order.Status.CANCELLED, moment
        order.refund = refund or order.refund
        order.save(update_fields=["status", "cancelled_at", "refund"])
        if order.product.stock is not None:
            stock[order.product_id] += order.quantity

    # Each open group fails, as at its deadline: every member refunded from escrow.
    for group in groups:
        for member in (m for m in members if m.group_id == group.pk):
            member.refund = ledger_post(
                kind=Transaction.Kind.REFUND,
                key=f"groupbuy:refund:{member.pk}",  # the expiry's own key: never refunded twice
                legs=[(escrows[group.pk], -group.price), (member_wallets[member.user_id], group.price)],
                memo=str(_("Group-buy refund")),
                metadata={"group": group.pk, "member": member.pk, "order": member.order_id, "account_deleted": user.pk},
                refund_of=member.transaction,
            )
            member.save(update_fields=["refund"])
            if member.order_id in orders and orders[member.order_id].status == Order.Status.AWAITING_GROUP:
                cancel(orders[member.order_id], member.refund)
        group.status, group.closed_at = GroupBuyGroup.Status.FAILED, moment
        group.save(update_fields=["status", "closed_at"])

    # Each unfinished task expires: its reserved reward goes back to stock.
    for task in tasks:
        reserved = orders.get(task.order_id)
        if reserved is not None and reserved.status == Order.Status.AWAITING_ASSIST:
            cancel(reserved)
        task.status, task.closed_at = AssistTask.Status.EXPIRED, moment
        task.save(update_fields=["status", "closed_at"])

    # Orders not yet sent, and voucher orders with nothing used: cancelled, points refunded.
    for order in refunded:
        refund = None
        if order.pk in sinks:
            refund = ledger_post(
                kind=Transaction.Kind.REFUND,
                key=f"redeem-refund:{order.pk}",  # a cancellation's own key: never refunded twice
                legs=[(sinks[order.pk], -order.points), (wallet, order.points)],
                memo=order.product.name,
                metadata={"order": order.pk, "account_deleted": user.pk},
                refund_of=order.transaction,
            )
        Coupon.objects.filter(pk__in=[c.pk for c in coupons_of[order.pk]], status=Coupon.Status.UNUSED).update(
            status=Coupon.Status.CANCELLED
        )
        cancel(order, refund)
    # Vouchers left on a partly used (or expired) order lapse, as they would at their expiry.
    Coupon.objects.filter(pk__in=[c.pk for c in lapsed]).update(status=Coupon.Status.CANCELLED)

    # The whole balance, refunds included, is forfeited: one transaction to the `expired` sink.
    balance = Account.objects.values_list("balance", flat=True).get(pk=wallet.pk)
    if balance > 0:
        prefix = f"forfeit:user:{user.pk}:"
        number = Transaction.objects.filter(key__startswith=prefix).count() + 1  # under the wallet lock
        ledger_post(
            kind=Transaction.Kind.EXPIRY,
            key=f"{prefix}{number}",
            legs=[(wallet, -balance), (expired, balance)],
            memo=FORFEIT_MEMO,
            metadata={"account_deleted": user.pk},
        )

    # 4. Stock last, product by product in id order.
    for product_id in sorted(stock):
        Product.objects.filter(pk=product_id, stock__isnull=False).update(stock=F("stock") + stock[product_id])

    cancelled = sum(1 for o in orders.values() if o.user_id == user.pk and o.status == Order.Status.CANCELLED)
    return {"points": max(balance, 0), "orders": cancelled, "groups": len(groups), "tasks": len(tasks)}


# -- anonymising ------------------------------------------------------------------------------------


def _anonymise_user(user: User) -> list[str]:
    """Blank or replace every personal field of the user row but its unique identifiers (openid,
    username: `_identifiers_release`); returns the stored files to delete after commit."""
    files = [user.avatar.name] if user.avatar else []
    user.nickname = deleted_nickname()
    user.avatar = ""
    user.avatar_url = ""
    user.phone, user.phone_verified = "", False
    user.unionid = ""  # indexed, not unique: cleared here; the openid goes in _identifiers_release
    user.first_name = user.last_name = user.email = ""
    user.birthday, user.gender, user.city = None, "", ""  # the profile facts the member gave
    user.is_active = False
    user.last_login = None
    user.set_unusable_password()
    # Not the unique columns (openid, username): that would take the row's strongest lock here.
    user.save(
        update_fields=[
            "nickname",
            "avatar",
            "avatar_url",
            "phone",
            "phone_verified",
            "unionid",
            "first_name",
            "last_name",
            "email",
            "birthday",
            "gender",
            "city",
            "is_active",
            "last_login",
            "password",
        ]
    )
    user_faces_forget(user_ids=[user.pk])
    return files


def _forget_personal_rows(user: User) -> None:
    """The member's own rows in other apps: delivery addresses, check-in notes and photos, and
    verified numbers (as digests, so "this number was used" can still be answered)."""
    for row in VerifiedPhone.objects.filter(user=user).exclude(phone__startswith=DIGEST_PREFIX):
        VerifiedPhone.objects.filter(pk=row.pk).update(phone=phone_digest(row.phone))
    counted = Referral.objects.filter(invitee=user, counted_phone__isnull=False).exclude(
        counted_phone__startswith=DIGEST_PREFIX
    )
    for referral in counted:  # the member's own row as invitee: only under their member lock
        Referral.objects.filter(pk=referral.pk).update(counted_phone=phone_digest(referral.counted_phone))
    # Orders waiting on a group or a task carry no address, and are left to _settle's locks.
    waiting = [Order.Status.AWAITING_GROUP, Order.Status.AWAITING_ASSIST]
    Order.objects.filter(user=user).exclude(address="").exclude(status__in=waiting).update(address="")
    CheckIn.objects.filter(user=user).filter(~Q(note="") | ~Q(image_url="")).update(note="", image_url="")


def _revoke_tokens(user: User) -> None:
    """Every refresh token the member holds is blacklisted; access tokens die with `is_active`
    (the authentication refuses an inactive user: 401)."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


def _forget_files(*, user_id: int, names: list[str]) -> None:
    """After commit (storage is not transactional): the avatar file and the stored posters."""
    from referral.services.posters import referral_posters_forget

    storage = User._meta.get_field("avatar").storage
    for name in names:
        storage.delete(name)
    referral_posters_forget(user_id=user_id)
