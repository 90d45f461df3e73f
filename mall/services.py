"""The points mall: redemptions that never oversell, cancellations with refunds, vouchers (核销),
stock edits, nightly voucher expiry and the operator / store-staff roles.

Lock order (docs/concurrency.md): the customer's member lock (every per-user check, the limit
and the level, runs under it), then the order row and its vouchers, then the referral rows a
first redemption or its refund touches, then the accounts (all of them in one go), then the
product row (a conditional UPDATE, last). Stock moves only through conditional UPDATEs, so it
never goes below zero; the debit and the order are written in the same database transaction, so
no order exists without its debit.
"""

import base64
import datetime as dt
import functools
import io
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from core.clock import now, window_open
from core.exceptions import ApplicationError
from core.locks import lock_members, lock_one, lock_shared, require_member, retry_on_conflict
from events.services import event_record
from mall.models import Coupon, Order, Product, StockLog, Store
from points.models import Account, Level, Transaction
from points.models import Entry as LedgerEntry
from points.selectors import growth_total
from points.services.ledger import account_for_user, account_sink, ledger_lock, ledger_post

# No 0/O, 1/I/L: staff read codes aloud and type them.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_QUANTITY = 20
OPERATOR_GROUP = "运营"
STORE_STAFF_GROUP = "门店核销员"
VERIFY_PERMISSION = "mall.verify_coupon"


# -- errors -------------------------------------------------------------------------------------


def _not_on_sale() -> ApplicationError:
    return ApplicationError("not_on_sale", _("This product is not on sale."), 409)


def out_of_stock() -> ApplicationError:
    return ApplicationError("out_of_stock", _("This product is out of stock."), 409)


def _invalid(detail) -> ApplicationError:
    return ApplicationError("invalid", detail, 400)


# -- helpers ------------------------------------------------------------------------------------


def coupon_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def coupon_code_normalise(code: str) -> str:
    """What a person types or a scanner reads: spaces, dashes and case do not matter."""
    return "".join(code.split()).replace("-", "").upper()


def coupon_qr_data_url(*, code: str) -> str:
    """A PNG QR of the voucher code, as a data URL the mini-program shows directly."""
    return _qr_data_url(code)


# Drawing a QR took a quarter of a redemption, and an order's answer shows its first voucher twice
# (`coupon` and `coupons`); the image depends on the code alone, so each process keeps the latest
# few thousand (about 1 KB each).
@functools.lru_cache(maxsize=4096)
def _qr_data_url(code: str) -> str:
    import qrcode

    image = qrcode.make(code, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def product_on_sale(product: Product, *, at: dt.datetime | None = None) -> bool:
    return window_open(active=product.is_active, starts_at=product.starts_at, ends_at=product.ends_at, at=at)


def _order_sink(order: Order) -> Account:
    """The sink the order's points went to, so a refund takes them back from there: the shard its
    redemption paid, or the main sink (group-buys pay it from escrow; orders from before the shards)."""
    legs = LedgerEntry.objects.filter(transaction_id=order.transaction_id, account__kind=Account.Kind.SINK)
    return Account.objects.filter(pk__in=legs.values("account_id")).first() or account_sink()


def product_redeemed_quantity(*, user, product: Product) -> int:
    rows = Order.objects.filter(user=user, product=product).exclude(status=Order.Status.CANCELLED)
    return rows.aggregate(total=Sum("quantity"))["total"] or 0


def product_limit_check(*, user, product: Product, quantity: int) -> None:
    """Refuse what would take the user past the product's per-user limit (orders not cancelled count,
    whichever path placed them: the mall, a group-buy, an assist's reward). Under the member lock."""
    require_member(user)
    if (
        product.per_user_limit
        and product_redeemed_quantity(user=user, product=product) + quantity > product.per_user_limit
    ):
        raise ApplicationError("limit_reached", _("You have reached the limit for this product."), 409)


def product_level_check(*, user, level: Level | None) -> None:
    if level is not None and growth_total(user=user) < level.threshold:
        raise ApplicationError(
            "level_too_low", _("This product needs the level %(level)s.") % {"level": level.name}, 403
        )


def coupons_issue(*, order: Order, product: Product) -> None:
    expires_at = now() + dt.timedelta(days=product.voucher_valid_days)
    for _n in range(order.quantity):
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    Coupon.objects.create(
                        order=order,
                        user=order.user,
                        product=product,
                        code=coupon_code_generate(),
                        expires_at=expires_at,
                    )
                break
            except IntegrityError:  # a code collision: draw again
                continue
        else:  # pragma: no cover - 31^10 codes
            raise RuntimeError("could not draw a unique voucher code")


# Orders that stand as redemptions: not cancelled, and not waiting on a group that may still fail.
_NOT_STANDING = (Order.Status.CANCELLED, Order.Status.AWAITING_GROUP)


def order_is_first_redemption(*, order: Order) -> bool:
    """Whether `order` is the user's only standing order paid in points: their first redemption.

    Gifts (zero-point orders: assist rewards, automation vouchers) are not redemptions: they
    neither qualify a referral nor use up the first one. A group-buy order counts once its group
    succeeds, never while it waits (the group may fail and cancel it), and a cancelled order never
    counts: the first redemption is the first that stands."""
    if order.points <= 0:
        return False
    others = Order.objects.filter(user_id=order.user_id, points__gt=0).exclude(pk=order.pk)
    return not others.exclude(status__in=_NOT_STANDING).exists()


def order_source(order: Order) -> str:
    return f"order:{order.pk}"


def redemption_referral_reward(*, order: Order, also_lock: tuple = ()) -> None:
    """The referral rules on a first redemption, for a standing order, under its owner's member
    lock and before the caller posts to `also_lock` (the rules pay once per referral whatever
    calls this; the order is recorded as what earned them, so its refund takes them back)."""
    from referral.services import referral_trigger

    if order_is_first_redemption(order=order):
        referral_trigger(user=order.user, trigger="first_redemption", source=order_source(order), also_lock=also_lock)


@retry_on_conflict
@transaction.atomic
def redemption_referral_reward_apply(*, order_id: int) -> None:
    """`redemption_referral_reward` in the order owner's own transaction: the reaction to an order
    that another member's action made stand. A refunded or still-waiting order earns nothing."""
    owner_id = Order.objects.filter(pk=order_id).values_list("user_id", flat=True).first()
    if owner_id is None:
        return
    lock_members(owner_id)  # a cancel of the same order waits, or has already happened
    order = Order.objects.select_related("user").get(pk=order_id)
    if order.status not in _NOT_STANDING:
        redemption_referral_reward(order=order)


def redemption_referral_clawback(*, order: Order, was_first: bool, also_lock: tuple, refund) -> None:
    """A refunded order takes back the referral rewards it earned (held ones are rejected): the
    referral's rows are locked first, then every account, then `refund` posts, then the claw."""
    from referral.services import referral_reward_clawback

    if order.points <= 0:
        ledger_lock(*also_lock)
        refund()
        return
    referral_reward_clawback(
        user=order.user,
        trigger="first_redemption",
        source=order_source(order),
        include_unsourced=was_first,
        also_lock=also_lock,
        before_claw=lambda: (ledger_lock(*also_lock), refund()),
    )


# -- redemption ---------------------------------------------------------------------------------


@retry_on_conflict
def redemption_create(
    *,
    user,
    product_id: int,
    quantity: int = 1,
    address: str = "",
    store_id: int | None = None,
    idempotency_key: str = "",
) -> Order:
    """Redeem `quantity` of a product for points: one database transaction takes the stock and the
    points, creates the order and, for vouchers, issues their codes. The same `idempotency_key`
    from the same user returns the first order."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise _invalid(_("Quantity must be between 1 and %(max)s.") % {"max": MAX_QUANTITY})
    if idempotency_key:
        existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            existing.replayed = True  # the view answers 200, not 201
            return existing
    try:
        return _redemption_create(
            user=user,
            product_id=product_id,
            quantity=quantity,
            address=address.strip(),
            store_id=store_id,
            idempotency_key=idempotency_key,
        )
    except IntegrityError:
        if idempotency_key:  # the same key, sent twice at once: the other request won
            existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                existing.replayed = True
                return existing
        raise


@transaction.atomic
def _redemption_create(*, user, product_id, quantity, address, store_id, idempotency_key) -> Order:
    lock_members(user)
    if idempotency_key:
        existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            existing.replayed = True  # the view answers 200, not 201
            return existing
    product = Product.objects.select_related("level_required").filter(pk=product_id).first()
    if product is None or not product_on_sale(product):
        raise _not_on_sale()
    return order_place(
        user=user,
        product=product,
        quantity=quantity,
        points=product.price * quantity,
        address=address,
        store_id=store_id,
        idempotency_key=idempotency_key,
    )


def order_place(
    *,
    user,
    product: Product,
    quantity: int,
    points: int,
    address: str = "",
    store_id: int | None = None,
    idempotency_key: str = "",
    ledger_key: str = "",
    metadata: dict | None = None,
) -> Order:
    """Inside the caller's transaction, under the user's member lock: check the level, delivery,
    per-user limit and stock; create the order, apply the first-redemption referral rules, debit
    `points` (nothing at 0), issue vouchers, and take the stock with a conditional UPDATE (last).
    The mall's redemptions and a bargain's purchase both come through here."""
    product_level_check(user=user, level=product.level_required)
    store = None
    if store_id is not None:
        store = Store.objects.filter(pk=store_id, is_active=True).first()
        if store is None:
            raise _invalid(_("No such store."))
    if product.kind == Product.Kind.PHYSICAL and not address and store is None:
        raise _invalid(_("Physical goods need a delivery address or a pickup store."))
    product_limit_check(user=user, product=product, quantity=quantity)
    if product.stock is not None and product.stock < quantity:
        raise out_of_stock()  # the friendly early answer; the UPDATE below is what makes it true

    order = Order.objects.create(
        user=user,
        product=product,
        quantity=quantity,
        points=points,
        address=address,
        store=store,
        idempotency_key=idempotency_key,
    )
    wallet, sink = account_for_user(user), account_sink(shard_of=user.pk)
    if points:
        redemption_referral_reward(order=order, also_lock=(wallet, sink))
        order.transaction = ledger_post(
            kind=Transaction.Kind.REDEMPTION,
            key=ledger_key or f"redeem:{order.pk}",
            legs=[(wallet, -points), (sink, points)],
            memo=product.name,
            actor=user,
            metadata={"order": order.pk, "product": product.pk, "quantity": quantity, **(metadata or {})},
        )
    if product.kind in (Product.Kind.VOUCHER, Product.Kind.COUPON):
        coupons_issue(order=order, product=product)
        order.status = Order.Status.FULFILLED  # the codes are the goods
        order.fulfilled_at = now()
    order.save(update_fields=["transaction", "status", "fulfilled_at"])
    if points:  # a gift (zero points) is not a redemption
        event_record(user=user, kind="redeemed", amount=points, ref=f"order:{order.pk}")
    if product.stock is not None:
        # Last, so the product's row is locked only from here to commit: a flash sale's buyers
        # queue on it for this statement alone, not for the whole redemption.
        taken = Product.objects.filter(pk=product.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
        if taken != 1:
            raise out_of_stock()  # rolls back the order, the debit and the vouchers with it
    return order


def _lock_order(order_id: int) -> Order:
    """The order row alone: not its product (a flash sale's stock row) nor its user."""
    order = lock_one(Order.objects.select_related("product", "user").filter(pk=order_id))
    if order is None:
        raise Order.DoesNotExist
    return order


@retry_on_conflict
def redemption_cancel(*, order: Order, actor=None, by_customer: bool = False) -> Order:
    """Cancel an order: refund its points through the ledger and put its stock back.

    A customer may cancel an order not yet fulfilled, or a voucher order none of whose vouchers
    was used; operators may also cancel fulfilled physical orders. A used voucher is never refunded.
    """
    with transaction.atomic():
        owner_id = Order.objects.filter(pk=order.pk).values_list("user_id", flat=True).first()
        if owner_id is None or (by_customer and actor is not None and owner_id != actor.pk):
            raise ApplicationError("not_found", _("Not found."), 404)
        lock_members(owner_id)  # the customer's, whoever cancels: a refund changes their limits
        order = _lock_order(order.pk)
        if order.status == Order.Status.CANCELLED:
            return order
        if order.status == Order.Status.AWAITING_GROUP:  # its points are in the group's escrow
            raise ApplicationError("invalid_state", _("This order waits for its group-buy to finish."), 409)
        if order.status == Order.Status.AWAITING_ASSIST:  # an assist's reward, released if it expires
            raise ApplicationError("invalid_state", _("This order waits for its assist task to finish."), 409)
        # Verification locks the order row first, so no voucher changes while we hold it.
        if order.coupons.filter(status=Coupon.Status.USED).exists():
            raise ApplicationError("already_used", _("A used voucher cannot be cancelled."), 409)
        if order.status == Order.Status.COMPLETED:
            raise ApplicationError("invalid_state", _("A completed order cannot be cancelled."), 409)
        is_voucher = order.product.kind != Product.Kind.PHYSICAL
        if by_customer and order.status == Order.Status.FULFILLED and not is_voucher:
            raise ApplicationError("invalid_state", _("This order was already sent; ask the store."), 409)
        coupons = lock_shared(Coupon.objects.filter(order=order))
        if by_customer and any(c.status == Coupon.Status.EXPIRED for c in coupons):
            raise ApplicationError("coupon_expired", _("This voucher has expired."), 409)
        wallet, sink = account_for_user(order.user), _order_sink(order)

        def refund() -> None:
            if order.points:  # a reward order (zero points) has nothing to refund
                order.refund = ledger_post(
                    kind=Transaction.Kind.REFUND,
                    key=f"redeem-refund:{order.pk}",
                    legs=[(sink, -order.points), (wallet, order.points)],
                    memo=order.product.name,
                    actor=actor,
                    metadata={"order": order.pk},
                    refund_of=order.transaction,
                )

        was_first = order_is_first_redemption(order=order)
        redemption_referral_clawback(order=order, was_first=was_first, also_lock=(wallet, sink), refund=refund)
        Coupon.objects.filter(pk__in=[c.pk for c in coupons]).update(status=Coupon.Status.CANCELLED)
        if order.product.stock is not None:
            Product.objects.filter(pk=order.product_id, stock__isnull=False).update(stock=F("stock") + order.quantity)
        order.status = Order.Status.CANCELLED
        order.cancelled_at = now()
        order.save(update_fields=["status", "cancelled_at", "refund"])
    return order


def redemption_fulfil(*, order: Order, actor=None) -> Order:
    """created -> fulfilled (sent, or ready for pickup). Fulfilled orders are left alone."""
    with transaction.atomic():
        order = _lock_order(order.pk)
        if order.status == Order.Status.FULFILLED:
            return order
        if order.status != Order.Status.CREATED:
            raise ApplicationError("invalid_state", _("Only a new order can be fulfilled."), 409)
        order.status, order.fulfilled_at = Order.Status.FULFILLED, now()
        order.save(update_fields=["status", "fulfilled_at"])
    return order


def redemption_complete(*, order: Order, actor=None) -> Order:
    """fulfilled -> completed (received or picked up)."""
    with transaction.atomic():
        order = _lock_order(order.pk)
        if order.status == Order.Status.COMPLETED:
            return order
        if order.status != Order.Status.FULFILLED:
            raise ApplicationError("invalid_state", _("Only a fulfilled order can be completed."), 409)
        order.status, order.completed_at = Order.Status.COMPLETED, now()
        order.save(update_fields=["status", "completed_at"])
    return order


# -- vouchers -----------------------------------------------------------------------------------


def _staff_store(*, staff, store_id: int | None) -> Store:
    """Where a verification is recorded: a store the staff member is on (the one named, else their
    first); a superuser (an operator) may name any store, and must name one when on none."""
    mine = list(Store.objects.filter(staff=staff, is_active=True).order_by("pk").values_list("pk", flat=True))
    if not mine and not staff.is_superuser:
        raise ApplicationError("no_store", _("You are not on the staff of any store."), 403)
    if store_id is None:
        if not mine:
            raise ApplicationError("store_required", _("Name the store where the voucher is used."), 400)
        store_id = mine[0]
    elif store_id not in mine and not staff.is_superuser:
        raise ApplicationError("not_your_store", _("You are not on the staff of this store."), 403)
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        raise _invalid(_("No such store."))
    return store


def coupon_verify(*, code: str, staff, store_id: int | None = None) -> Coupon:
    """Store staff verify (核销) a voucher: once, before it expires, recording who and where."""
    if not staff.has_perm(VERIFY_PERMISSION):
        raise ApplicationError("permission_denied", _("Only store staff may verify vouchers."), 403)
    store = _staff_store(staff=staff, store_id=store_id)  # before the code: no probing codes from nowhere
    code = coupon_code_normalise(code)
    found = Coupon.objects.filter(code=code).values_list("order_id", flat=True).first()
    if found is None:
        raise ApplicationError("not_found", _("No voucher has this code."), 404)
    with transaction.atomic():
        order = _lock_order(found)
        coupon = lock_shared(Coupon.objects.select_related("product").filter(code=code))[0]
        if coupon.status == Coupon.Status.USED:
            raise ApplicationError("already_used", _("This voucher was already used."), 409)
        if coupon.status == Coupon.Status.CANCELLED:
            raise ApplicationError("coupon_cancelled", _("This voucher was cancelled."), 409)
        moment = now()
        if coupon.status == Coupon.Status.EXPIRED or coupon.expires_at <= moment:
            raise ApplicationError("coupon_expired", _("This voucher has expired."), 409)
        coupon.status, coupon.used_at, coupon.verified_by, coupon.store = Coupon.Status.USED, moment, staff, store
        coupon.save(update_fields=["status", "used_at", "verified_by", "store"])
        if not order.coupons.exclude(status=Coupon.Status.USED).exists():
            order.status, order.completed_at = Order.Status.COMPLETED, moment
            order.save(update_fields=["status", "completed_at"])
    return coupon


def coupons_expire(*, at: dt.datetime | None = None) -> int:
    """The nightly job: unused vouchers past their expiry become expired. Returns how many."""
    return Coupon.objects.filter(status=Coupon.Status.UNUSED, expires_at__lte=at or now()).update(
        status=Coupon.Status.EXPIRED
    )


# -- stock --------------------------------------------------------------------------------------


def product_stock_adjust(*, product: Product, change: int, actor=None, reason: str = "") -> Product:
    """Add (or, negative, remove) stock with a conditional UPDATE, and log it."""
    if change == 0:
        return product
    with transaction.atomic():
        rows = Product.objects.filter(pk=product.pk, stock__isnull=False)
        if change < 0:
            rows = rows.filter(stock__gte=-change)
        if rows.update(stock=F("stock") + change) != 1:
            raise _invalid(_("Stock cannot go below zero (or the product is unlimited)."))
        after = Product.objects.values_list("stock", flat=True).get(pk=product.pk)
        StockLog.objects.create(
            product=product, before=after - change, after=after, change=change, actor=actor, reason=reason
        )
    product.stock = after
    return product


def product_stock_set(*, product: Product, stock: int | None, actor=None, reason: str = "") -> Product:
    """Set the stock outright (None: unlimited), and log it."""
    with transaction.atomic():
        # The stock row alone (level 4), NO KEY: orders being placed for it may still refer to it.
        before = Product.objects.select_for_update(no_key=True).values_list("stock", flat=True).get(pk=product.pk)
        if before == stock:
            return product
        Product.objects.filter(pk=product.pk).update(stock=stock)
        change = (stock or 0) - (before or 0) if before is not None and stock is not None else 0
        StockLog.objects.create(product=product, before=before, after=stock, change=change, actor=actor, reason=reason)
    product.stock = stock
    return product


# -- roles --------------------------------------------------------------------------------------

OPERATOR_MODELS = {
    "points": ["pointstask", "level"],
    "mall": ["product", "order", "coupon", "store", "stocklog"],
    "core": ["slot", "slotitem"],
    # Growth: the dashboard, segments, events and automations (the list pages that only services
    # write stay read-only whatever the permission).
    "analytics": ["dailymetric", "usersegment", "segmentconfig", "automationrule", "automationgrant"],
    "events": ["event"],
}
OPERATOR_APPS = ["checkin"]  # every model of the challenge app
STORE_STAFF_PERMISSIONS = [
    ("mall", "verify_coupon"),
    ("mall", "view_coupon"),
    ("mall", "view_order"),
    ("mall", "view_store"),
]


def roles_seed() -> None:
    """Create (or top up) the operator group 运营 and the store-staff group 门店核销员."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    operators, _created = Group.objects.get_or_create(name=OPERATOR_GROUP)
    query = Q(content_type__app_label__in=OPERATOR_APPS)
    for app_label, models in OPERATOR_MODELS.items():
        query |= Q(content_type__app_label=app_label, content_type__model__in=models)
    operators.permissions.add(*Permission.objects.filter(query))
    staff, _created = Group.objects.get_or_create(name=STORE_STAFF_GROUP)
    query = Q(pk__in=[])
    for app_label, codename in STORE_STAFF_PERMISSIONS:
        query |= Q(content_type__app_label=app_label, codename=codename)
    staff.permissions.add(*Permission.objects.filter(query))
