"""Redemptions: ordering with points without overselling, cancelling with a refund, fulfilling.

Lock order (docs/concurrency.md): the customer's member lock (every per-user check, the limit
and the level, runs under it), then the order row and its vouchers, then the referral rows a
first redemption or its refund touches, then the accounts (all of them in one go), then the
product row (a conditional UPDATE, last). The debit and the order are written in the same
database transaction, so no order exists without its debit."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.clock import now
from core.db import fetch_prepared, on_postgresql
from core.exceptions import ApplicationError
from core.locks import lock_members, lock_shared, retry_on_conflict
from events.services import EVENT_INSERT_HEAD, event_record
from mall.models import Coupon, Order, Product, Store
from mall.services.commissions import order_commission_queue, order_commission_void
from mall.services.orders import (
    order_coupons_known,
    order_is_first_redemption,
    order_lock,
    order_sink,
    order_source,
    order_stands,
)
from mall.services.products import (
    invalid,
    limit_reached,
    not_on_sale,
    out_of_stock,
    product_for_sale,
    product_level_check,
    product_limit_check,
    product_on_sale,
    product_tag_check,
)
from mall.services.vouchers import coupon_code_generate, coupon_expiry, coupon_known, coupons_issue
from points.models import Account, Growth, Level, Transaction
from points.selectors import member_level
from points.services.ledger import account_for_user, accounts_with_wallet, ledger_lock, ledger_post, sink_named
from points.services.privileges import level_discount
from referral.models import Referral
from referral.selectors import referral_inviter_id

MAX_QUANTITY = 20


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
    if order_stands(order):
        redemption_referral_reward(order=order)
        order_commission_queue(order=order, placed=True)


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
        raise invalid(_("Quantity must be between 1 and %(max)s.") % {"max": MAX_QUANTITY})
    if idempotency_key:
        existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            existing.replayed = True  # the view answers 200, not 201
            return existing
    # The product is read once, unlocked, before any lock or transaction: a missing or sold-out
    # product is answered from that read (after a flash sale's sell-out, every late buyer would
    # otherwise take their member lock and open a transaction only to be refused at the stock's
    # UPDATE: docs/benchmarks.md, flash_sellout). A unit a cancellation returns meanwhile is the
    # next request's. Nothing else here is decided by the stock read.
    product = product_for_sale(product_id)
    if product is None or not product_on_sale(product):
        raise not_on_sale()
    if product.stock is not None and product.stock < quantity:
        raise out_of_stock()
    try:
        return _redemption_create(
            user=user,
            product=product,
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
def _redemption_create(*, user, product: Product, quantity, address, store_id, idempotency_key) -> Order:
    lock_members(user)
    if store_id is None and on_postgresql(Order):
        placed = _redemption_place_statement(
            user=user, product=product, quantity=quantity, address=address, idempotency_key=idempotency_key
        )
        if placed is not None:
            return placed
    if idempotency_key:
        existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            existing.replayed = True  # the view answers 200, not 201
            return existing
    # The level's discount (docs/membership.md), read under the member lock: once per unit,
    # rounded down, recorded on the order with the price actually paid.
    level = member_level(user=user)
    percent = level.discount_percent if level is not None else 0
    off = level_discount(price=product.price, percent=percent)
    return order_place(
        user=user,
        product=product,
        quantity=quantity,
        points=(product.price - off) * quantity,
        discount_percent=percent if off else 0,
        discount_points=off * quantity,
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
    discount_percent: int = 0,
    discount_points: int = 0,
) -> Order:
    """Inside the caller's transaction, under the user's member lock: check the level, the tags,
    delivery, per-user limit and stock; create the order, apply the first-redemption referral rules, debit
    `points` (nothing at 0), issue vouchers, and take the stock with a conditional UPDATE (last).
    The mall's redemptions and a bargain's purchase both come through here."""
    product_level_check(user=user, level=product.level_required)
    product_tag_check(user=user, product=product)
    store = None
    if store_id is not None:
        store = Store.objects.filter(pk=store_id, is_active=True).first()
        if store is None:
            raise invalid(_("No such store."))
    _delivery_check(product=product, address=address, store=store)
    product_limit_check(user=user, product=product, quantity=quantity)
    if product.stock is not None and product.stock < quantity:
        raise out_of_stock()  # the friendly early answer; the UPDATE below is what makes it true

    order = Order.objects.create(
        user=user,
        product=product,
        quantity=quantity,
        points=points,
        discount_percent=discount_percent,
        discount_points=discount_points,
        address=address,
        store=store,
        idempotency_key=idempotency_key,
    )
    wallet, sink = accounts_with_wallet(user, sink_named(shard_of=user.pk))
    # The referral rules and the commission are about who invited the buyer: for the many buyers
    # nobody invited, one read answers both (a binding is made once, at registration).
    invited = bool(points) and referral_inviter_id(invitee_id=user.pk) is not None
    if invited:
        redemption_referral_reward(order=order, also_lock=(wallet, sink))
    if points:
        order.transaction = ledger_post(
            kind=Transaction.Kind.REDEMPTION,
            key=ledger_key or f"redeem:{order.pk}",
            legs=[(wallet, -points), (sink, points)],
            memo=product.name,
            actor=user,
            metadata={
                "order": order.pk,
                "product": product.pk,
                "quantity": quantity,
                **({"discount_points": discount_points} if discount_points else {}),
                **(metadata or {}),
            },
        )
    coupons = []
    if product.kind in (Product.Kind.VOUCHER, Product.Kind.COUPON):
        coupons = coupons_issue(order=order, product=product)
        order.status = Order.Status.FULFILLED  # the codes are the goods
        order.fulfilled_at = now()
    order_coupons_known(order, coupons)
    order.save(update_fields=["transaction", "status", "fulfilled_at"])
    if points:  # a gift (zero points) is not a redemption
        event_record(user=user, kind="redeemed", amount=points, ref=f"order:{order.pk}")
    if invited:
        order_commission_queue(order=order, placed=True)  # the inviter's share, in their transaction
    if product.stock is not None:
        # Last, so the product's row is locked only from here to commit: a flash sale's buyers
        # queue on it for this statement alone, not for the whole redemption.
        taken = Product.objects.filter(pk=product.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
        if taken != 1:
            raise out_of_stock()  # rolls back the order, the debit and the vouchers with it
    return order


def _delivery_check(*, product: Product, address: str, store) -> None:
    if product.kind == Product.Kind.PHYSICAL and not address and store is None:
        raise invalid(_("Physical goods need a delivery address or a pickup store."))


# -- the redemption in a few statements (PostgreSQL) -----------------------------------------------
#
# A plain redemption (no store, no tag or level gate, a buyer nobody invited, points to pay) is, on
# PostgreSQL, the member lock, one read of everything the checks need, the ledger's two statements
# and one statement that writes the order, its vouchers and its event and takes the stock (last):
# 8 round trips from the product read to commit, where the ORM path takes 20, and the flash sale's
# cost was building them
# (docs/benchmarks.md, finding 31). Every other redemption takes `order_place`, which is also the
# portable path; tests/mall/test_redemption_statement.py holds the two equal.

_REDEMPTION_CONTEXT = f"""
SELECT
    (SELECT id FROM {Order._meta.db_table}
      WHERE user_id = %(user)s AND idempotency_key = %(key)s AND %(key)s <> '' LIMIT 1),
    (SELECT discount_percent FROM {Level._meta.db_table} WHERE threshold <= COALESCE(
        (SELECT total FROM {Growth._meta.db_table} WHERE user_id = %(user)s ORDER BY id LIMIT 1), 0)
      ORDER BY threshold DESC LIMIT 1),
    EXISTS (SELECT FROM {Referral._meta.db_table} WHERE invitee_id = %(user)s),
    CASE WHEN %(limited)s THEN (
        SELECT COALESCE(SUM(quantity), 0) FROM {Order._meta.db_table}
         WHERE user_id = %(user)s AND product_id = %(product)s AND status <> %(cancelled)s) END,
    (SELECT id FROM {Account._meta.db_table} WHERE user_id = %(user)s),
    (SELECT id FROM {Account._meta.db_table} WHERE code = %(sink)s AND kind = %(sink_kind)s),
    nextval(pg_get_serial_sequence('{Order._meta.db_table}', 'id'))
"""

_REDEMPTION_WRITE = f"""
WITH placed AS (
    INSERT INTO {Order._meta.db_table} (id, user_id, product_id, quantity, points, discount_percent,
        discount_points, status, address, idempotency_key, transaction_id, created_at, fulfilled_at)
    VALUES (%(order)s, %(user)s, %(product)s, %(quantity)s, %(points)s, %(discount_percent)s,
        %(discount_points)s, %(status)s, %(address)s, %(key)s, %(transaction)s, %(at)s, %(fulfilled_at)s)
    RETURNING id
), coupons AS (
    INSERT INTO {Coupon._meta.db_table} (order_id, user_id, product_id, code, status, expires_at, created_at)
    SELECT placed.id, %(user)s, %(product)s, c.code, %(unused)s, %(expires_at)s, %(at)s
    FROM placed, unnest(%(codes)s::text[]) WITH ORDINALITY AS c(code, n) ORDER BY c.n
    ON CONFLICT (code) DO NOTHING
    RETURNING id, code
), event AS (
    {EVENT_INSERT_HEAD} SELECT %(user)s, 'redeemed', %(at)s, '', %(points)s, 'order:' || placed.id FROM placed
), stock AS (
    UPDATE {Product._meta.db_table} SET stock = stock - %(quantity)s
     WHERE id = %(product)s AND %(limited_stock)s AND stock >= %(quantity)s
    RETURNING stock
)
SELECT coupons.id, coupons.code FROM coupons
UNION ALL SELECT NULL, 'stock' FROM stock
"""


def _redemption_place_statement(*, user, product: Product, quantity, address, idempotency_key) -> Order | None:
    """The plain redemption, under the member lock, in the caller's transaction; None for one it
    does not take, which `order_place` then places (nothing is written before that answer)."""
    if product.level_required_id is not None or product.tag_gated:
        return None
    sink_code, sink_kind = sink_named(shard_of=user.pk)
    context = fetch_prepared(
        Order,
        _REDEMPTION_CONTEXT,
        {
            "user": user.pk,
            "key": idempotency_key,
            "limited": bool(product.per_user_limit),
            "product": product.pk,
            "cancelled": Order.Status.CANCELLED,
            "sink": sink_code,
            "sink_kind": sink_kind,
        },
    )
    replay_id, percent, invited, redeemed, wallet_id, sink_id, order_id = context[0]
    if replay_id is not None:
        existing = Order.objects.get(pk=replay_id)
        existing.replayed = True  # the view answers 200, not 201
        return existing
    off = level_discount(price=product.price, percent=percent or 0)
    points = (product.price - off) * quantity
    if invited or wallet_id is None or sink_id is None or points <= 0:
        return None  # the referral rules; an account made on first use; a gift
    _delivery_check(product=product, address=address, store=None)
    if product.per_user_limit and redeemed + quantity > product.per_user_limit:
        raise limit_reached()
    discount_points = off * quantity
    txn = ledger_post(
        kind=Transaction.Kind.REDEMPTION,
        key=f"redeem:{order_id}",
        legs=[(wallet_id, -points), (sink_id, points)],
        memo=product.name,
        actor=user,
        metadata={
            "order": order_id,
            "product": product.pk,
            "quantity": quantity,
            **({"discount_points": discount_points} if discount_points else {}),
        },
    )
    at = now()
    vouchers = product.kind in (Product.Kind.VOUCHER, Product.Kind.COUPON)
    order = Order(
        pk=order_id,
        user=user,
        product=product,
        quantity=quantity,
        points=points,
        discount_percent=percent if off else 0,
        discount_points=discount_points,
        status=Order.Status.FULFILLED if vouchers else Order.Status.CREATED,  # the codes are the goods
        address=address,
        idempotency_key=idempotency_key,
        transaction=txn,
        created_at=at,
        fulfilled_at=at if vouchers else None,
    )
    expires_at = coupon_expiry(product=product, at=at)
    written = fetch_prepared(
        Order,
        _REDEMPTION_WRITE,
        {
            "order": order_id,
            "user": user.pk,
            "product": product.pk,
            "quantity": quantity,
            "points": points,
            "discount_percent": order.discount_percent,
            "discount_points": discount_points,
            "status": order.status,
            "address": address,
            "key": idempotency_key,
            "transaction": txn.pk,
            "at": at,
            "fulfilled_at": order.fulfilled_at,
            "unused": Coupon.Status.UNUSED,
            "expires_at": expires_at,
            "codes": [coupon_code_generate() for _n in range(quantity)] if vouchers else [],
            "limited_stock": product.stock is not None,
        },
    )
    if product.stock is not None and not any(code == "stock" for pk, code in written if pk is None):
        raise out_of_stock()  # rolls back the order, the debit and the vouchers with it
    order._state.adding, order._state.db = False, "default"
    coupons = [coupon_known(pk=pk, order=order, code=code, expires_at=expires_at, at=at) for pk, code in written if pk]
    if vouchers and len(coupons) < quantity:  # a code drawn twice (31^10 codes): draw again
        coupons += coupons_issue(order=order, product=product, count=quantity - len(coupons))
    order_coupons_known(order, coupons)
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
        order = order_lock(order.pk)
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
        wallet, sink = account_for_user(order.user), order_sink(order)

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

        order_commission_void(order=order)  # its commission row, before the referral rows and accounts
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
        order = order_lock(order.pk)
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
        order = order_lock(order.pk)
        if order.status == Order.Status.COMPLETED:
            return order
        if order.status != Order.Status.FULFILLED:
            raise ApplicationError("invalid_state", _("Only a fulfilled order can be completed."), 409)
        order.status, order.completed_at = Order.Status.COMPLETED, now()
        order.save(update_fields=["status", "completed_at"])
        order_commission_queue(order=order)  # completion pays the inviter's held commission
    return order
