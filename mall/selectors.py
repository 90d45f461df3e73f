"""Reads of the points mall: products on sale, a user's orders and vouchers."""

from django.db.models import Q, QuerySet

from core.clock import now
from mall.models import Coupon, Order, Product
from points.selectors import wallet_balance


def products_on_sale(*, user=None, category: str = "", affordable: bool = False) -> QuerySet[Product]:
    """Active products inside their window, in sort order; `affordable`: priced within the user's points."""
    moment = now()
    rows = Product.objects.filter(is_active=True).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=moment), Q(ends_at__isnull=True) | Q(ends_at__gt=moment)
    )
    if category:
        rows = rows.filter(category=category)
    if affordable and user is not None:
        rows = rows.filter(price__lte=wallet_balance(user=user))
    return rows.select_related("level_required").order_by("sort_order", "id")


def orders_for(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).select_related("product").prefetch_related("coupons").order_by("-id")


def order_for(*, user, order_id: int) -> Order | None:
    return orders_for(user=user).filter(pk=order_id).first()


def coupons_for(*, user, status: str = "") -> QuerySet[Coupon]:
    rows = Coupon.objects.filter(user=user).select_related("product", "store")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-id")


def products_low_stock() -> QuerySet[Product]:
    from django.db.models import F

    return Product.objects.filter(stock__isnull=False, stock__lte=F("low_stock_threshold"))
