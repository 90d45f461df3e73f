"""The mall in the customer profile: the latest orders and vouchers."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.customer_profile import ProfileSection
from mall.selectors import coupons_for, orders_for

LATEST = 20


def profile_sections(user) -> list[ProfileSection]:
    orders = list(orders_for(user=user).select_related("product", "store")[:LATEST])
    coupons = list(coupons_for(user=user).select_related("product", "store")[:LATEST])
    return [
        ProfileSection(
            title=_("Orders"),
            columns=[_("order"), _("time"), _("product"), _("quantity"), _("points"), _("status")],
            rows=[[o.pk, o.created_at, o.product.name, o.quantity, o.points, o.get_status_display()] for o in orders],
            more_url=reverse("admin:mall_order_changelist") + f"?q={user.pk}",
            empty=_("No orders."),
        ),
        ProfileSection(
            title=_("Vouchers"),
            columns=[_("code"), _("product"), _("status"), _("expires at"), _("used at"), _("store")],
            rows=[
                [
                    c.code,
                    c.product.name,
                    c.get_status_display(),
                    c.expires_at,
                    c.used_at,
                    c.store.name if c.store else "",
                ]
                for c in coupons
            ],
            more_url=reverse("admin:mall_coupon_changelist") + f"?q={user.pk}",
            empty=_("No vouchers."),
        ),
    ]
