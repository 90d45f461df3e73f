"""客户: the customer list and each customer's profile, gathered from every app (core.profile)."""

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from core.admin_utils import csv_export_action
from core.customer_profile import profile_sections
from core.privacy import masked_phone
from points.models import Account, Growth
from referral.models import ReferralProfile


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("member", "phone_masked", "balance", "growth_total", "channel", "date_joined", "last_login")
    list_filter = ("phone_verified", "date_joined")
    search_fields = ("=id", "nickname", "phone")
    ordering = ("-date_joined",)
    list_per_page = 50
    actions = [
        csv_export_action(
            [
                (_("ID"), "id"),
                (_("nickname"), "nickname"),
                (_("phone"), masked_phone),
                (_("points"), lambda customer: customer.points_balance or 0),
                (_("growth value"), lambda customer: customer.growth_value or 0),
                (_("channel"), "channel_name"),
                (_("joined at"), "date_joined"),
                (_("last login"), "last_login"),
            ],
            filename="customers",
        )
    ]

    def get_queryset(self, request):
        wallet = Account.objects.filter(user=OuterRef("pk"), kind=Account.Kind.USER).values("balance")[:1]
        growth = Growth.objects.filter(user=OuterRef("pk")).values("total")[:1]
        channel = ReferralProfile.objects.filter(user=OuterRef("pk")).values("channel__name")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(points_balance=Subquery(wallet), growth_value=Subquery(growth), channel_name=Subquery(channel))
        )

    @admin.display(description=_("customer"), ordering="nickname")
    def member(self, obj):
        return obj.nickname or str(obj)

    @admin.display(description=_("phone"))
    def phone_masked(self, obj):
        return masked_phone(obj) or "-"

    @admin.display(description=_("points"), ordering="points_balance")
    def balance(self, obj):
        return obj.points_balance or 0

    @admin.display(description=_("growth value"), ordering="growth_value")
    def growth_total(self, obj):
        return obj.growth_value or 0

    @admin.display(description=_("channel"))
    def channel(self, obj):
        return obj.channel_name or "-"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The profile (客户档案), read-only: every app's sections about this customer."""
        customer = self.get_object(request, object_id)
        if customer is None or not self.has_view_permission(request, customer):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _gettext("Customer profile: %(name)s") % {"name": customer},
            "customer": customer,
            "masked_phone": masked_phone(customer),
            "sections": profile_sections(customer),
            "account_url": reverse("admin:core_user_change", args=[customer.pk])
            if request.user.has_perm("core.change_user")
            else "",
        }
        return TemplateResponse(request, "admin/accounts/customer/profile.html", context)
