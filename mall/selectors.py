"""Reads of the points mall: products on sale, a user's orders and vouchers."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from core.clock import local_midnight, now
from core.tags import offered_to
from mall.models import Coupon, Order, Product
from mall.services.vouchers import coupon_code_normalise
from points.selectors import wallet_balance


def products_on_sale(*, user=None, category: str = "", affordable: bool = False) -> QuerySet[Product]:
    """Active products inside their window, in sort order; `affordable`: priced within the user's
    points. A product kept for tags is listed only to members carrying one of them (docs/tags.md)."""
    moment = now()
    rows = Product.objects.filter(is_active=True).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=moment), Q(ends_at__isnull=True) | Q(ends_at__gt=moment)
    )
    rows = rows.filter(offered_to(user, through=Product.tags.through, owner_field="product_id"))
    if category:
        rows = rows.filter(category=category)
    if affordable and user is not None:
        rows = rows.filter(price__lte=wallet_balance(user=user))
    return rows.select_related("level_required").order_by("sort_order", "id")


def level_has_exclusive_products(*, level, user=None) -> bool:
    """Whether a product on sale (to `user`) is kept for `level` or a lower level: the
    exclusive-products privilege (docs/membership.md). A gate at threshold 0 keeps out no one
    who has a level, so it makes nothing exclusive."""
    return (
        products_on_sale(user=user)
        .filter(level_required__threshold__gt=0, level_required__threshold__lte=level.threshold)
        .exists()
    )


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


def coupon_for_front_desk(*, code: str) -> Coupon | None:
    """The voucher a code names, with what the front desk shows before confirming: the patient,
    the product and the order."""
    return (
        Coupon.objects.select_related("user", "product", "order", "store", "verified_by")
        .filter(code=coupon_code_normalise(code))
        .first()
    )


def verifications_on(*, day, stores) -> QuerySet[Coupon]:
    """Vouchers verified on the local `day` at `stores`, newest first."""
    start = local_midnight(day)
    return (
        Coupon.objects.filter(status=Coupon.Status.USED, store__in=stores, used_at__gte=start)
        .filter(used_at__lt=local_midnight(day + dt.timedelta(days=1)))
        .select_related("user", "product", "store", "verified_by")
        .order_by("-used_at")
    )


def verification_report(*, start, end) -> dict:
    """Vouchers verified per store and per staff member between two local days (inclusive)."""
    rows = Coupon.objects.filter(
        status=Coupon.Status.USED,
        used_at__gte=local_midnight(start),
        used_at__lt=local_midnight(end + dt.timedelta(days=1)),
    )
    by_store = list(rows.values("store__name").annotate(n=Count("pk")).order_by("-n", "store__name"))
    by_staff = list(rows.values("verified_by", "store__name").annotate(n=Count("pk")).order_by("-n", "verified_by"))
    staff = get_user_model().objects.in_bulk([row["verified_by"] for row in by_staff if row["verified_by"]])
    for row in by_staff:
        row["staff"] = staff.get(row["verified_by"])
    return {"by_store": by_store, "by_staff": by_staff, "total": rows.count()}
