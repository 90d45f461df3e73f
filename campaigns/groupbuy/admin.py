"""Group-buy admin: offers operators configure; groups and members written only by services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember, GroupBuyOffer
from campaigns.groupbuy.services import groupbuy_group_expire
from core.admin_utils import ServiceWrittenAdmin


@admin.register(GroupBuyOffer)
class GroupBuyOfferAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "group_size",
        "price",
        "time_limit_hours",
        "is_active",
        "starts_at",
        "ends_at",
        "groups_per_user",
        "total_groups",
        "new_users_only",
    )
    list_filter = ("is_active", "new_users_only")
    search_fields = ("product__name",)
    autocomplete_fields = ("product",)


class GroupBuyMemberInline(admin.TabularInline):
    model = GroupBuyMember
    extra = 0
    can_delete = False
    fields = ("user", "order", "transaction", "refund", "joined_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GroupBuyGroup)
class GroupBuyGroupAdmin(ServiceWrittenAdmin):
    list_display = ("id", "offer", "leader", "status", "member_count", "group_size", "price", "expires_at", "closed_at")
    list_filter = ("status", "offer")
    search_fields = ("leader__nickname", "leader__phone")
    inlines = [GroupBuyMemberInline]
    actions = ["refund_groups"]

    @admin.action(description=_("Refund the selected open groups"), permissions=["change"])
    def refund_groups(self, request, queryset):
        refunded = sum(
            groupbuy_group_expire(group_id=group_id, force=True, actor=request.user)
            for group_id in queryset.filter(status=GroupBuyGroup.Status.OPEN).values_list("pk", flat=True)
        )
        self.message_user(request, _("%(count)d group(s) refunded.") % {"count": refunded}, messages.SUCCESS)
