"""客户: the customer list and each customer's profile, gathered from every app (core.profile)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from core.admin_utils import csv_export_action
from core.customer_profile import profile_sections
from core.exceptions import ApplicationError
from core.models import Tag
from core.privacy import masked_phone
from core.tags import tag_assign, tag_unassign
from points.models import Account, Growth
from referral.models import ReferralProfile


class TagFilter(admin.SimpleListFilter):
    title = _("tag")
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [(str(tag.pk), tag.name) for tag in Tag.objects.order_by("name")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(user_tags__tag_id=int(self.value()))
        return queryset


class TagChoiceForm(forms.Form):
    tag = forms.ModelChoiceField(
        label=_("tag"),
        queryset=Tag.objects.filter(kind=Tag.Kind.MANUAL).order_by("name"),
        help_text=_("Manual tags only: the members of a rule tag are computed every night."),
    )


def _tag_action(modeladmin, request, queryset, *, remove: bool):
    """An intermediate page: choose the manual tag, then it is added to (or taken from) the selected."""
    form = TagChoiceForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        tag = form.cleaned_data["tag"]
        ids = list(queryset.values_list("pk", flat=True))
        try:
            if remove:
                count = tag_unassign(tag=tag, user_ids=ids)
            else:
                count = tag_assign(tag=tag, user_ids=ids, actor=request.user)
        except ApplicationError as exc:
            modeladmin.message_user(request, str(exc.detail), messages.ERROR)
            return None
        message = (
            _gettext("%(tag)s taken from %(count)s customer(s).")
            if remove
            else _gettext("%(tag)s given to %(count)s customer(s).")
        )
        modeladmin.message_user(request, message % {"tag": tag.name, "count": count}, messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": _gettext("Take a tag from the selected customers")
        if remove
        else _gettext("Give a tag to the selected customers"),
        "form": form,
        "customers": queryset[:50],
        "count": queryset.count(),
        "ids": list(queryset.values_list("pk", flat=True)),
        "action": request.POST.get("action", ""),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/accounts/customer/tag_action.html", context)


@admin.action(description=_("Give a tag to the selected customers"), permissions=["tag"])
def tag_add(modeladmin, request, queryset):
    return _tag_action(modeladmin, request, queryset, remove=False)


@admin.action(description=_("Take a tag from the selected customers"), permissions=["tag"])
def tag_remove(modeladmin, request, queryset):
    return _tag_action(modeladmin, request, queryset, remove=True)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "member",
        "phone_masked",
        "balance",
        "growth_total",
        "channel",
        "tags",
        "date_joined",
        "last_login",
    )
    list_filter = ("phone_verified", TagFilter, "date_joined")
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
        ),
        tag_add,
        tag_remove,
    ]

    def get_queryset(self, request):
        wallet = Account.objects.filter(user=OuterRef("pk"), kind=Account.Kind.USER).values("balance")[:1]
        growth = Growth.objects.filter(user=OuterRef("pk")).values("total")[:1]
        channel = ReferralProfile.objects.filter(user=OuterRef("pk")).values("channel__name")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(points_balance=Subquery(wallet), growth_value=Subquery(growth), channel_name=Subquery(channel))
            .prefetch_related("user_tags__tag")
        )

    def has_tag_permission(self, request):
        return request.user.has_perm("core.add_usertag") and request.user.has_perm("core.delete_usertag")

    @admin.display(description=_("tags"))
    def tags(self, obj):
        return ", ".join(sorted(row.tag.name for row in obj.user_tags.all())) or "-"

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
