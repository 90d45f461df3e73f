"""Assist admin: campaigns operators configure; tasks and helps written only by services."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from campaigns.assist.models import AssistCampaign, AssistHelp, AssistTask
from campaigns.assist.services import assist_task_expire
from core.admin_utils import ServiceWrittenAdmin


class AssistCampaignForm(forms.ModelForm):
    class Meta:
        model = AssistCampaign
        fields = [
            "title",
            "kind",
            "reward_kind",
            "reward_points",
            "product",
            "floor_price",
            "helpers_required",
            "time_limit_hours",
            "helps_per_day",
            "new_user_counts_double",
            "tasks_per_user",
            # not `seed`: it fixes a bargain's cuts for reproducible tests, nothing an operator sets
            "is_active",
            "starts_at",
            "ends_at",
            "sort_order",
        ]

    def clean(self):
        data = super().clean()
        kind, reward_kind = data.get("kind"), data.get("reward_kind")
        product, points = data.get("product"), data.get("reward_points") or 0
        if kind == AssistCampaign.Kind.BARGAIN:
            if product is None:
                self.add_error("product", _("A bargain sells a product: choose one."))
            elif (data.get("floor_price") or 0) > product.price:
                self.add_error("floor_price", _("The floor price cannot be above the product's price."))
        elif reward_kind == AssistCampaign.RewardKind.PRODUCT and product is None:
            self.add_error("product", _("Choose the product this assist grants."))
        elif reward_kind == AssistCampaign.RewardKind.POINTS and points <= 0:
            self.add_error("reward_points", _("An assist paid in points needs a positive number of points."))
        return data


@admin.register(AssistCampaign)
class AssistCampaignAdmin(admin.ModelAdmin):
    form = AssistCampaignForm
    list_display = (
        "title",
        "kind",
        "reward_kind",
        "reward_points",
        "product",
        "helpers_required",
        "time_limit_hours",
        "helps_per_day",
        "new_user_counts_double",
        "is_active",
    )
    list_filter = ("kind", "reward_kind", "is_active")
    search_fields = ("title", "product__name")
    autocomplete_fields = ("product",)


class AssistHelpInline(admin.TabularInline):
    model = AssistHelp
    fk_name = "task"
    extra = 0
    can_delete = False
    fields = ("helper", "weight", "cut", "local_date", "referral", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssistTask)
class AssistTaskAdmin(ServiceWrittenAdmin):
    list_display = (
        "id",
        "campaign",
        "user",
        "status",
        "progress",
        "required",
        "current_price",
        "expires_at",
        "completed_at",
        "closed_at",
    )
    list_filter = ("status", "campaign")
    search_fields = ("user__nickname", "user__phone")
    inlines = [AssistHelpInline]
    actions = ["expire_tasks"]

    @admin.action(
        description=_("Close the selected unfinished tasks (reserved rewards go back to stock)"), permissions=["change"]
    )
    def expire_tasks(self, request, queryset):
        closed = sum(
            assist_task_expire(task_id=task_id, force=True, actor=request.user)
            for task_id in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, _("%(count)d task(s) closed.") % {"count": closed}, messages.SUCCESS)
