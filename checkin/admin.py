"""Operators' pages for check-in challenges: challenges with their rules and recent rounds, rounds
with a settlement preview (a dry run), settling and cancelling, entries searchable by user."""

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from checkin.models import Challenge, CheckIn, Entry, Reminder, Round, Settlement, Standing, SubscribeCredit, Visit
from checkin.services.settlement import round_cancel, round_settle, settlement_preview
from core.admin_utils import ReadOnlyAdmin, csv_export_action
from core.clock import local_today
from core.exceptions import ApplicationError


def _round_links(round_: Round) -> str:
    if round_.pk is None:
        return ""
    preview = reverse("admin:checkin_round_preview", args=[round_.pk])
    if round_.status == Round.Status.OPEN:
        cancel = reverse("admin:checkin_round_cancel", args=[round_.pk])
        return format_html(
            '<a href="{}">{}</a> | <a href="{}">{}</a>', preview, _("Preview / settle"), cancel, _("Cancel round")
        )
    return format_html('<a href="{}">{}</a>', preview, _("Settlement report"))


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("rounds (open ones and the last 30 days)")
    fields = ("start_date", "end_date", "status", "participants", "pool_shown", "checkin_count", "settled", "links")
    readonly_fields = fields

    def get_queryset(self, request):
        since = local_today() - dt.timedelta(days=30)
        return (
            super()
            .get_queryset(request)
            .filter(Q(status__in=[Round.Status.OPEN, Round.Status.SETTLING]) | Q(start_date__gte=since))
            .select_related("settlement")
            .annotate(checkin_count=Count("entries__checkin_set"))
        )

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("pool"))
    def pool_shown(self, obj):
        return obj.settlement.pool if hasattr(obj, "settlement") else obj.pool

    @admin.display(description=_("check-ins"))
    def checkin_count(self, obj):
        return getattr(obj, "checkin_count", 0)

    @admin.display(description=_("settlement"))
    def settled(self, obj):
        if not hasattr(obj, "settlement"):
            return "-"
        return f"{obj.settlement.get_outcome_display()} ({obj.settlement.get_state_display()})"

    @admin.display(description=_("actions"))
    def links(self, obj):
        return _round_links(obj)


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "kind",
        "checkin_by",
        "window",
        "stake_range",
        "bonus",
        "split_rule",
        "no_winner_rule",
        "max_participants",
        "is_active",
    )
    list_filter = ("kind", "checkin_by", "is_active")
    search_fields = ("title",)
    inlines = [RoundInline]
    fieldsets = (
        (None, {"fields": ("title", "kind", "checkin_by", "is_active", "sort_order", "cover_url", "rules_text")}),
        (
            _("Days and check-in window"),
            {
                "fields": ("timezone", "day_cutoff", "window_start", "window_end"),
                "description": _(
                    "Daily: users join on day D and check in on day D+1 inside the window. "
                    "A check-in counts only inside the window of its business day."
                ),
            },
        ),
        (
            _("Multi-day rounds"),
            {"fields": ("start_date", "duration_days", "required_days", "repeat", "makeup_limit", "makeup_cost")},
        ),
        (
            _("Stakes and pool"),
            {
                "fields": ("stake_min", "stake_max", "bonus", "max_participants", "split_rule", "no_winner_rule"),
                "description": _(
                    "Pool = stakes + bonus. Winners (enough check-ins) share it; the shares always add up to "
                    "the pool exactly and nobody gets back less than their stake. Each round keeps the rules "
                    "it was created with."
                ),
            },
        ),
        (_("Reminders"), {"fields": ("reminder_template_id",)}),
    )

    @admin.display(description=_("window"))
    def window(self, obj):
        return f"{obj.window_start:%H:%M}-{obj.window_end:%H:%M}"

    @admin.display(description=_("stake"))
    def stake_range(self, obj):
        return obj.stake_min if obj.stake_min == obj.stake_max else f"{obj.stake_min}-{obj.stake_max}"


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "challenge",
        "start_date",
        "end_date",
        "status",
        "participants",
        "pool_shown",
        "checkin_count",
        "settlement_state",
        "links",
    )
    list_filter = ("status", "challenge")
    date_hierarchy = "start_date"
    list_select_related = ("challenge", "settlement")
    actions = ["settle_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(checkin_count=Count("entries__checkin_set"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Round._meta.fields]

    @admin.display(description=_("pool"))
    def pool_shown(self, obj):
        return obj.settlement.pool if hasattr(obj, "settlement") else obj.pool

    @admin.display(description=_("check-ins"), ordering="checkin_count")
    def checkin_count(self, obj):
        return getattr(obj, "checkin_count", 0)

    @admin.display(description=_("settlement"))
    def settlement_state(self, obj):
        if not hasattr(obj, "settlement"):
            return "-"
        return f"{obj.settlement.get_outcome_display()} ({obj.settlement.get_state_display()})"

    @admin.display(description=_("actions"))
    def links(self, obj):
        return _round_links(obj)

    def get_urls(self):
        own = [
            path(
                "<int:round_id>/preview/", self.admin_site.admin_view(self.preview_view), name="checkin_round_preview"
            ),
            path("<int:round_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name="checkin_round_cancel"),
        ]
        return own + super().get_urls()

    def _may_operate(self, request):
        if not request.user.has_perm("checkin.change_round"):
            raise PermissionDenied

    def preview_view(self, request, round_id: int):
        round_ = get_object_or_404(Round.objects.select_related("challenge"), pk=round_id)
        if request.method == "POST":
            self._may_operate(request)
            try:
                settlement = round_settle(round_id=round_.pk, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, str(exc.detail), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Settled: %(outcome)s, pool %(pool)s.")
                    % {"outcome": settlement.get_outcome_display(), "pool": settlement.pool},
                    messages.SUCCESS,
                )
            return redirect("admin:checkin_round_preview", round_id=round_.pk)
        settlement = Settlement.objects.filter(round=round_).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Settlement of %(round)s") % {"round": round_},
            "round": round_,
            "settlement": settlement,
            "preview": None if settlement else settlement_preview(round_=round_),
            "entries": Entry.objects.filter(round=round_).select_related("user").order_by("-payout", "pk")[:500]
            if settlement
            else None,
            "can_operate": request.user.has_perm("checkin.change_round"),
        }
        return TemplateResponse(request, "admin/checkin/round/preview.html", context)

    def cancel_view(self, request, round_id: int):
        round_ = get_object_or_404(Round.objects.select_related("challenge"), pk=round_id)
        self._may_operate(request)
        if request.method == "POST":
            try:
                settlement = round_cancel(round_id=round_.pk, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, str(exc.detail), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Round cancelled: %(count)s stake(s) refunded.") % {"count": settlement.participants},
                    messages.SUCCESS,
                )
            return redirect("admin:checkin_round_preview", round_id=round_.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Cancel %(round)s") % {"round": round_},
            "round": round_,
        }
        return TemplateResponse(request, "admin/checkin/round/cancel.html", context)

    @admin.action(description=_("Settle selected rounds (those whose last window has closed)"))
    def settle_selected(self, request, queryset):
        self._may_operate(request)
        done, refused = 0, 0
        for round_ in queryset.order_by("end_date", "pk"):
            try:
                round_settle(round_id=round_.pk, actor=request.user)
                done += 1
            except ApplicationError:
                refused += 1
        self.message_user(
            request,
            gettext("Settled %(done)s round(s); %(refused)s not due or not open.") % {"done": done, "refused": refused},
        )


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "user",
        "round",
        "stake",
        "status",
        "checkins",
        "makeups_used",
        "payout",
        "paid_at",
        "created_at",
    )
    list_filter = ("status", "round__challenge")
    search_fields = ("user__nickname", "user__username", "=user__id", "=user__phone")
    search_help_text = _("Search by nickname, username, user ID or phone number.")
    list_select_related = ("user", "round__challenge")
    raw_id_fields = ("user", "round", "stake_txn")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Entry._meta.fields]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "challenge", "local_date", "checked_in_at", "makeup")
    list_filter = ("makeup", "challenge", "local_date")
    search_fields = ("=user__id", "user__nickname", "user__phone")
    list_select_related = ("user", "challenge")
    actions = [
        csv_export_action(
            [
                (_("check-in"), "id"),
                (_("member"), "user"),
                (_("challenge"), "challenge__title"),
                (_("local date"), "local_date"),
                (_("checked in at"), "checked_in_at"),
                (_("makeup"), lambda checkin: _("yes") if checkin.makeup else _("no")),
            ],
            filename="checkins",
        )
    ]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    """Visits staff recorded at the desk (到店打卡): read-only, written only by the front desk."""

    list_display = ("id", "user", "store", "local_date", "created_at", "staff")
    list_filter = ("store", "local_date")
    search_fields = ("=user__id", "user__nickname", "user__phone")
    list_select_related = ("user", "store", "staff")
    date_hierarchy = "local_date"
    actions = [
        csv_export_action(
            [
                (_("store visit"), "id"),
                (_("member"), "user"),
                (_("store"), "store__name"),
                (_("date"), "local_date"),
                (_("recorded at"), "created_at"),
                (_("recorded by"), "staff"),
            ],
            filename="visits",
        )
    ]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = (
        "round",
        "outcome",
        "state",
        "pool",
        "participants",
        "winners",
        "paid_total",
        "returned_total",
        "rollover_total",
        "batches",
        "finished_at",
    )
    list_filter = ("outcome", "state")
    list_select_related = ("round__challenge",)


@admin.register(Standing)
class StandingAdmin(ReadOnlyAdmin):
    list_display = ("user", "challenge", "winnings", "streak", "best_streak", "streak_date")
    list_filter = ("challenge",)
    search_fields = ("user__nickname", "=user__id")
    list_select_related = ("user", "challenge")


@admin.register(SubscribeCredit)
class SubscribeCreditAdmin(ReadOnlyAdmin):
    list_display = ("user", "template_id", "credits", "updated_at")
    search_fields = ("user__nickname", "=user__id", "template_id")
    list_select_related = ("user",)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("user", "local_date", "challenge", "status", "error")
    list_filter = ("status", "local_date")
    search_fields = ("user__nickname", "=user__id")
    list_select_related = ("user", "challenge")
