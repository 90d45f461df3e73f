import base64

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_utils import ReadOnlyAdmin
from core.exceptions import ApplicationError
from referral.codes import channel_code_normalize, scene_for_channel, share_url_for
from referral.models import (
    Channel,
    Commission,
    CommissionRule,
    Milestone,
    MilestoneAward,
    PosterTemplate,
    Referral,
    ReferralConfig,
    ReferralProfile,
    Reward,
    RewardRule,
    Scan,
    ShareOpen,
)
from referral.selectors import channels_with_counts
from referral.services import (
    referral_profile_flag_set,
    referral_reward_approve,
    referral_reward_reject,
    referral_trigger,
)
from referral.services.posters import poster_compose_for


class ActionsOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write; staff with the change permission run the actions (services)."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(ReferralConfig)
class ReferralConfigAdmin(admin.ModelAdmin):
    list_display = ("__str__", "velocity_limit_per_hour", "flag_min_invitees", "flag_after_days")

    def has_add_permission(self, request):
        return not ReferralConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["code", "name", "kind", "staff", "is_active"]

    def clean_code(self):
        code = channel_code_normalize(self.cleaned_data["code"]) or self.cleaned_data["code"].strip().upper()
        if ReferralProfile.objects.filter(code=code).exists():
            raise forms.ValidationError(_("A user already has this code; choose another."))
        return code


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = (
        "code",
        "name",
        "kind",
        "staff",
        "is_active",
        "scans",
        "signups",
        "verified",
        "scene",
        "share_link",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("staff",)

    def get_queryset(self, request):
        return channels_with_counts()

    @admin.display(description=_("scans"), ordering="scan_count")
    def scans(self, obj):
        return obj.scan_count

    @admin.display(description=_("sign-ups"), ordering="signup_count")
    def signups(self, obj):
        return obj.signup_count

    @admin.display(description=_("verified phones"), ordering="verified_count")
    def verified(self, obj):
        return obj.verified_count

    @admin.display(description=_("scene"))
    def scene(self, obj):
        return scene_for_channel(obj.code)

    @admin.display(description=_("share link"))
    def share_link(self, obj):
        url = share_url_for(obj.code)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)


@admin.register(ReferralProfile)
class ReferralProfileAdmin(admin.ModelAdmin):
    list_display = ("code", "user", "channel", "qualified_count", "flagged", "flag_reason", "flagged_at", "created_at")
    list_filter = ("flagged", "flag_reason", "channel")
    search_fields = ("code", "user__nickname", "user__phone")
    readonly_fields = (
        "user",
        "code",
        "channel",
        "first_scan",
        "qualified_count",
        "last_qualified_at",
        "flagged",
        "flag_reason",
        "flagged_at",
        "flag_reviewed_at",
        "created_at",
    )
    actions = ["flag_inviters", "clear_flags"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Flag: hold new rewards for review"), permissions=["change"])
    def flag_inviters(self, request, queryset):
        for profile in queryset:
            referral_profile_flag_set(profile=profile, flagged=True, actor=request.user)
        self.message_user(request, _("Flagged."), messages.SUCCESS)

    @admin.action(description=_("Clear flag"), permissions=["change"])
    def clear_flags(self, request, queryset):
        for profile in queryset:
            referral_profile_flag_set(profile=profile, flagged=False, actor=request.user)
        self.message_user(request, _("Flags cleared."), messages.SUCCESS)


class RewardInline(admin.TabularInline):
    model = Reward
    extra = 0
    can_delete = False
    fields = ("rule", "status", "reason", "inviter_points", "invitee_points", "capped", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(ActionsOnlyAdmin):
    list_display = ("id", "inviter", "invitee", "status", "channel", "created_at", "qualified_at")
    list_filter = ("status", "channel")
    search_fields = ("=inviter__id", "inviter__nickname", "invitee__nickname", "invitee__phone")
    list_select_related = ("inviter", "invitee", "channel")
    inlines = [RewardInline]
    actions = ["confirm_first_visit"]

    @admin.action(description=_("Confirm first visit (pays first-visit rules)"), permissions=["change"])
    def confirm_first_visit(self, request, queryset):
        paid = 0
        for referral in queryset.select_related("invitee"):
            paid += len(referral_trigger(user=referral.invitee, trigger=RewardRule.Trigger.FIRST_VISIT))
        self.message_user(request, _("%(count)d reward(s) decided.") % {"count": paid}, messages.SUCCESS)


@admin.register(Scan)
class ScanAdmin(ReadOnlyAdmin):
    list_display = ("code", "source", "profile", "channel", "user", "scanned_at")
    list_filter = ("source", "channel")
    search_fields = ("code",)
    date_hierarchy = "scanned_at"


@admin.register(ShareOpen)
class ShareOpenAdmin(ReadOnlyAdmin):
    """The distinct friends' opens that paid (or, past the daily cap, would have paid) the share task."""

    list_display = ("sharer", "source", "friend", "opened_at")
    list_filter = ("source",)
    search_fields = ("sharer__nickname", "sharer__phone")
    date_hierarchy = "opened_at"


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 1


@admin.register(RewardRule)
class RewardRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "trigger",
        "inviter_points",
        "invitee_points",
        "requires_phone",
        "qualifies",
        "daily_cap",
        "lifetime_cap",
        "is_active",
        "starts_at",
        "ends_at",
    )
    list_filter = ("trigger", "is_active")
    inlines = [MilestoneInline]


@admin.register(Reward)
class RewardAdmin(ActionsOnlyAdmin):
    """The review queue: filter on "held for review", then approve or reject."""

    list_display = (
        "id",
        "rule",
        "inviter",
        "invitee",
        "status",
        "reason",
        "inviter_points",
        "invitee_points",
        "capped",
        "created_at",
        "reviewed_by",
    )
    list_filter = ("status", "reason", "rule")
    search_fields = ("inviter__nickname", "referral__invitee__nickname")
    list_select_related = ("rule", "inviter", "referral__invitee", "reviewed_by")
    actions = ["approve", "reject"]

    @admin.display(description=_("invitee"))
    def invitee(self, obj):
        return obj.referral.invitee

    def _review(self, request, queryset, service, done_message):
        done = 0
        for reward in queryset.filter(status=Reward.Status.HELD).order_by("pk"):
            try:
                service(reward=reward, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{reward.pk}: {exc.detail}", messages.WARNING)
        self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Approve held rewards (pay them)"), permissions=["change"])
    def approve(self, request, queryset):
        self._review(
            request,
            queryset,
            referral_reward_approve,
            lambda n: ngettext("%(count)d reward approved.", "%(count)d rewards approved.", n) % {"count": n},
        )

    @admin.action(description=_("Reject held rewards"), permissions=["change"])
    def reject(self, request, queryset):
        self._review(
            request,
            queryset,
            referral_reward_reject,
            lambda n: ngettext("%(count)d reward rejected.", "%(count)d rewards rejected.", n) % {"count": n},
        )


@admin.register(CommissionRule)
class CommissionRuleAdmin(admin.ModelAdmin):
    """Distribution (分销): the newest active rule applies to each friend's redemption."""

    list_display = ("name", "percent", "days", "monthly_cap", "is_active", "starts_at", "ends_at", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "percent", "days", "monthly_cap", "is_active", "starts_at", "ends_at")


@admin.register(Commission)
class CommissionAdmin(ReadOnlyAdmin):
    """Every friend's redemption that earned (or would have earned) the inviter a commission."""

    list_display = (
        "id",
        "inviter",
        "invitee",
        "order",
        "price",
        "amount",
        "capped",
        "status",
        "reason",
        "rule",
        "created_at",
        "settled_at",
    )
    list_filter = ("status", "reason", "capped", "rule")
    search_fields = ("=order", "=inviter__id", "inviter__nickname", "inviter__phone", "invitee__nickname")
    list_select_related = ("inviter", "invitee", "rule")
    date_hierarchy = "created_at"


@admin.register(MilestoneAward)
class MilestoneAwardAdmin(ReadOnlyAdmin):
    list_display = ("inviter", "milestone", "points", "created_at")
    list_select_related = ("inviter", "milestone")


@admin.register(PosterTemplate)
class PosterTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default", "is_active", "version", "updated_at")
    list_filter = ("is_active",)
    readonly_fields = ("version", "updated_at", "preview")
    fieldsets = (
        (None, {"fields": ("name", "is_active", "is_default", "version", "updated_at")}),
        (_("Background"), {"fields": ("background", "width", "height")}),
        (_("QR code"), {"fields": ("qr_x", "qr_y", "qr_size")}),
        (_("Avatar"), {"fields": ("avatar_x", "avatar_y", "avatar_size")}),
        (_("Nickname"), {"fields": ("nickname_x", "nickname_y", "nickname_size")}),
        (_("Text line"), {"fields": ("text", "text_x", "text_y", "text_size", "text_color")}),
        (_("Preview"), {"fields": ("preview",)}),
    )

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        sample_user = get_user_model()(nickname=str(_("Sample nickname")))
        sample_profile = ReferralProfile(code="SAMPLE00")
        png, _cacheable = poster_compose_for(template=obj, user=sample_user, profile=sample_profile)
        return format_html(
            '<img src="data:image/png;base64,{}" style="max-width:320px;border:1px solid #ddd">',
            base64.b64encode(png).decode(),
        )
