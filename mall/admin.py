"""The points mall in admin: products (stock edits logged through a service), orders with fulfil
and cancel actions (through services), vouchers and stock changes read-only, stores."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_utils import ReadOnlyAdmin, csv_export_action
from core.clock import local_today
from core.exceptions import ApplicationError
from mall.models import Coupon, Order, Product, StockLog, Store
from mall.selectors import verification_report
from mall.services import (
    product_stock_set,
    redemption_cancel,
    redemption_complete,
    redemption_fulfil,
    store_staff_add,
)


def _date_param(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


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
    list_display = ("id", "user", "product", "quantity", "points", "discount_points", "status", "store", "created_at")
    list_filter = ("status", "product", "store", "created_at")
    search_fields = ("=user__id", "user__nickname", "user__phone", "product__name", "address")
    list_select_related = ("user", "product", "store")
    actions = [
        fulfil_orders,
        complete_orders,
        cancel_orders,
        csv_export_action(
            [
                (_("order"), "id"),
                (_("created at"), "created_at"),
                (_("member"), "user"),
                (_("product"), "product__name"),
                (_("quantity"), "quantity"),
                (_("points"), "points"),
                (_("discount (points)"), "discount_points"),
                (_("status"), "status"),
                (_("store"), "store__name"),
                (_("address"), "address"),
            ],
            filename="orders",
        ),
    ]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_fulfil_permission(self, request):
        return request.user.has_perm("mall.fulfil_order") or request.user.has_perm("mall.change_order")


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    change_list_template = "admin/mall/coupon/change_list.html"

    def get_urls(self):
        own = [path("report/", self.admin_site.admin_view(self.report_view), name="mall_coupon_report")]
        return own + super().get_urls()

    def report_view(self, request):
        """Verifications per store and per staff member over a period (the last 30 days by default)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = local_today()
        start = _date_param(request.GET.get("start"), today - dt.timedelta(days=29))
        end = _date_param(request.GET.get("end"), today)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Verifications per store and staff member"),
            "start": start,
            "end": end,
            "report": verification_report(start=start, end=end),
        }
        return TemplateResponse(request, "admin/mall/coupon/report.html", context)

    list_display = ("code", "product", "user", "status", "expires_at", "used_at", "verified_by", "store")
    list_filter = ("status", "product", "store")
    search_fields = ("code", "=user__id", "user__nickname", "user__phone")
    list_select_related = ("product", "user", "verified_by", "store")
    actions = [
        csv_export_action(
            [
                (_("code"), "code"),
                (_("product"), "product__name"),
                (_("member"), "user"),
                (_("status"), "status"),
                (_("expires at"), "expires_at"),
                (_("used at"), "used_at"),
                (_("verified by"), "verified_by"),
                (_("store"), "store__name"),
            ],
            filename="vouchers",
        )
    ]
    readonly_fields = [f.name for f in Coupon._meta.fields]


@admin.register(StockLog)
class StockLogAdmin(ReadOnlyAdmin):
    list_display = ("product", "before", "after", "change", "reason", "actor", "created_at")
    list_filter = ("product",)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "phone", "is_active", "staff_list", "add_staff_link")
    autocomplete_fields = ("staff",)  # a search, not a list of every customer

    @admin.display(description=_("store staff"))
    def staff_list(self, obj):
        return "、".join(str(member) for member in obj.staff.all()) or "-"

    @admin.display(description=_("actions"))
    def add_staff_link(self, obj):
        url = reverse("admin:mall_store_add_staff", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Add staff"))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("staff")

    def get_urls(self):
        own = [
            path(
                "<int:store_id>/add-staff/",
                self.admin_site.admin_view(self.add_staff_view),
                name="mall_store_add_staff",
            )
        ]
        return own + super().get_urls()

    def add_staff_view(self, request, store_id: int):
        """One step: an account (found by name or phone) or a new login, into 门店核销员, onto the store."""
        store = Store.objects.filter(pk=store_id).first()
        if store is None or not self.has_change_permission(request, store):
            raise PermissionDenied
        form = StoreStaffForm(request.POST if request.method == "POST" else None, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            try:
                member = store_staff_add(store=store, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.detail)
            else:
                self.message_user(
                    request,
                    gettext("%(member)s is now on the staff of %(store)s.") % {"member": member, "store": store},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:mall_store_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Add staff to %(store)s") % {"store": store},
            "form": form,
            "store": store,
            "desk": request.build_absolute_uri(reverse("frontdesk")),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/mall/store/add_staff.html", context)


class StoreStaffForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("existing account"),
        queryset=get_user_model().objects.all(),
        required=False,
        help_text=_("Search by nickname, phone or username."),
    )
    username = forms.CharField(label=_("or a new login: username"), max_length=150, required=False)
    password = forms.CharField(label=_("password"), required=False, widget=forms.PasswordInput, min_length=8)
    nickname = forms.CharField(label=_("name shown"), max_length=64, required=False)

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        widget = AutocompleteSelect(Store._meta.get_field("staff"), admin_site)
        widget.choices = self.fields["user"].choices  # a widget set after the field has none of its own
        self.fields["user"].widget = widget

    def clean(self):
        data = super().clean()
        if not data.get("user") and not (data.get("username") and data.get("password")):
            raise forms.ValidationError(_("Choose an account or give a username and a password."))
        return data
