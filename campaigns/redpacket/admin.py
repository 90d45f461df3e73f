"""Red packet admin: campaigns operators configure; packets and opens written only by services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from campaigns.redpacket.models import RedPacket, RedPacketCampaign, RedPacketOpen
from campaigns.redpacket.services import redpacket_expire
from core.admin_utils import ServiceWrittenAdmin


@admin.register(RedPacketCampaign)
class RedPacketCampaignAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "amount",
        "helpers_needed",
        "pool",
        "new_user_bonus",
        "time_limit_hours",
        "opens_per_day",
        "is_active",
    )
    list_filter = ("is_active",)
    search_fields = ("title",)


class RedPacketOpenInline(admin.TabularInline):
    model = RedPacketOpen
    fk_name = "packet"
    extra = 0
    can_delete = False
    fields = ("position", "helper", "amount", "bonus", "local_date", "referral", "transaction", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RedPacket)
class RedPacketAdmin(ServiceWrittenAdmin):
    list_display = (
        "id",
        "campaign",
        "user",
        "status",
        "helpers",
        "needed",
        "pool_paid",
        "pool",
        "amount",
        "expires_at",
        "paid_at",
        "closed_at",
    )
    list_filter = ("status", "campaign")
    search_fields = ("user__nickname", "user__phone")
    inlines = [RedPacketOpenInline]
    actions = ["expire_packets"]

    @admin.action(
        description=_("Close the selected open red packets (the starter gets nothing)"), permissions=["change"]
    )
    def expire_packets(self, request, queryset):
        closed = sum(
            redpacket_expire(packet_id=packet_id, force=True, actor=request.user)
            for packet_id in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, _("%(count)d red packet(s) closed.") % {"count": closed}, messages.SUCCESS)
