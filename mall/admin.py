"""The points mall in admin: products (stock edits logged through a service), orders with fulfil
and cancel actions (through services), vouchers and stock changes read-only, stores."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from core.admin_utils import ReadOnlyAdmin
from core.exceptions import ApplicationError
from mall.models import Coupon, Order, Product, StockLog, Store
from mall.services import product_stock_set, redemption_cancel, redemption_complete, redemption_fulfil


class LowStockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock_level"

    def lookups(self, request, model_admin):
        return [("low", _("low stock")), ("out", _("out of stock")), ("unlimited", _("unlimited"))]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(stock__isnull=False, stock__lte=F("low_stock_threshold"))
        if self.value() == "out":
            return queryset.filter(stock=0)
        if self.value() == "unlimited":
            return queryset.filter(stock__isnull=True)
        return queryset


class StockLogInline(admin.TabularInline):
    model = StockLog
    fields = ("created_at", "before", "after", "change", "reason", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "category", "price", "stock", "per_user_limit", "is_active", "sort_order")
    list_filter = ("kind", "is_active", "category", LowStockFilter)
    list_editable = ("sort_order",)
    search_fields = ("name", "category")
    inlines = [StockLogInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        if not change or "stock" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        # Stock moves through the service (logged); everything else saves as usual.
        new_stock = obj.stock
        obj.stock = form.initial.get("stock")
        fields = [f for f in form.changed_data if f != "stock" and f in {x.name for x in obj._meta.fields}]
        if fields:
            obj.save(update_fields=fields)
        product_stock_set(product=obj, stock=new_stock, actor=request.user, reason=str(_("edited in admin")))


@admin.action(description=_("Mark selected orders fulfilled"), permissions=["fulfil"])
def fulfil_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, redemption_fulfil)


@admin.action(description=_("Mark selected orders completed"), permissions=["fulfil"])
def complete_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, redemption_complete)


@admin.action(description=_("Cancel selected orders and refund their points"), permissions=["fulfil"])
def cancel_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, redemption_cancel)


def _run(modeladmin, request, queryset, service):
    done = 0
    for order in queryset.order_by("pk"):
        try:
            service(order=order, actor=request.user)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"#{order.pk}: {exc.detail}", messages.WARNING)
    modeladmin.message_user(request, _("%(done)d orders updated.") % {"done": done}, messages.SUCCESS)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "product", "quantity", "points", "status", "store", "created_at")
    list_filter = ("status", "product", "store", "created_at")
    search_fields = ("user__nickname", "user__phone", "product__name", "address")
    list_select_related = ("user", "product", "store")
    actions = [fulfil_orders, complete_orders, cancel_orders]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_fulfil_permission(self, request):
        return request.user.has_perm("mall.fulfil_order") or request.user.has_perm("mall.change_order")


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = ("code", "product", "user", "status", "expires_at", "used_at", "verified_by", "store")
    list_filter = ("status", "product", "store")
    search_fields = ("code", "user__nickname", "user__phone")
    list_select_related = ("product", "user", "verified_by", "store")
    readonly_fields = [f.name for f in Coupon._meta.fields]


@admin.register(StockLog)
class StockLogAdmin(ReadOnlyAdmin):
    list_display = ("product", "before", "after", "change", "reason", "actor", "created_at")
    list_filter = ("product",)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "phone", "is_active")
    filter_horizontal = ("staff",)
