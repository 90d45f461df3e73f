"""Facts about an order that redemptions and vouchers share: its row lock, the sink its points
went to, and whether it counts as a (first) redemption."""

from core.locks import lock_one
from mall.models import Order
from points.models import Account
from points.models import Entry as LedgerEntry
from points.services.ledger import account_sink


def order_sink(order: Order) -> Account:
    """The sink the order's points went to, so a refund takes them back from there: the shard its
    redemption paid, or the main sink (group-buys pay it from escrow; orders from before the shards)."""
    legs = LedgerEntry.objects.filter(transaction_id=order.transaction_id, account__kind=Account.Kind.SINK)
    return Account.objects.filter(pk__in=legs.values("account_id")).first() or account_sink()


# Orders that stand as redemptions: not cancelled, and not waiting on a group that may still fail.
_NOT_STANDING = (Order.Status.CANCELLED, Order.Status.AWAITING_GROUP)


def order_stands(order: Order) -> bool:
    """A live order: not cancelled, not waiting for its group (it counts as a redemption)."""
    return order.status not in _NOT_STANDING


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


def order_lock(order_id: int) -> Order:
    """The order row alone: not its product (a flash sale's stock row) nor its user."""
    order = lock_one(Order.objects.select_related("product", "user").filter(pk=order_id))
    if order is None:
        raise Order.DoesNotExist
    return order


def order_coupons_known(order: Order, coupons: list) -> None:
    """Keep on `order` the vouchers just issued with it, as `prefetch_related("coupons")` keeps
    them, so that the redemption's answer is written without reading them back (the order was
    read again after commit: three queries of a flash sale's redemption)."""
    known = order.coupons.all()
    # In the order a read gives them (Coupon.Meta.ordering, newest first): `coupon` is the first.
    known._result_cache, known._prefetch_done = sorted(coupons, key=lambda coupon: -coupon.pk), True
    order._prefetched_objects_cache = {"coupons": known}
