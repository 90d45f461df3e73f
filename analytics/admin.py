import csv
import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics import charts, selectors
from analytics.models import AutomationGrant, AutomationRule, DailyMetric, SegmentConfig, UserSegment
from analytics.services import RETENTION_OFFSETS, automation_run, automation_targets
from core.admin_utils import ReadOnlyAdmin
from core.clock import local_today
from core.exceptions import ApplicationError

DEFAULT_DAYS = 30
ORGANIC = "-"  # the channel filter's value for users who came without a channel


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def dashboard_filters(request) -> tuple[dt.date, dt.date, str | None]:
    """(start, end, channel) from the query string; anything unusable falls back to the default."""
    last = selectors.computed_range()[1] or local_today() - dt.timedelta(days=1)
    end = _date(request.GET.get("end"), last)
    start = _date(request.GET.get("start"), end - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        start, end = end, start
    if (end - start).days > 366:
        start = end - dt.timedelta(days=366)
    channel = request.GET.get("channel") or None
    if channel == ORGANIC:
        channel = ""
    return start, end, channel


@admin.register(DailyMetric)
class DashboardAdmin(admin.ModelAdmin):
    """The growth dashboard: the admin home's link to the figures opens the charts, not a list."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path(
                "export/<slug:table>.csv",
                self.admin_site.admin_view(self.export_view),
                name="analytics_dashboard_export",
            ),
        ]
        return own + super().get_urls()

    def _may_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        self._may_view(request)
        start, end, channel = dashboard_filters(request)
        steps = selectors.funnel(start=start, end=end, channel=channel)
        cohorts = selectors.retention_cohorts(start=start, end=end, channel=channel)
        trends = selectors.daily_trends(start=start, end=end, channel=channel)
        channels = selectors.channel_attribution(start=start, end=end)
        inviters = selectors.breakdown(metric="new_users_inviter", start=start, end=end, limit=10)
        products = selectors.breakdown(metric="redemptions", start=start, end=end, limit=10)
        pools = selectors.breakdown(metric="pool", start=start, end=end, limit=10)
        winners = dict((d, v) for d, _l, v in selectors.breakdown(metric="winners", start=start, end=end))
        segments_on, segment_rows = selectors.segment_sizes()
        k = selectors.k_factor(end=end)
        x_labels = [row["date"].strftime("%m-%d") for row in trends]

        def pct(step):
            return f"{step.value} ({step.of_first:.0%})" if step.of_first is not None else str(step.value)

        query = request.GET.urlencode()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Growth dashboard"),
            "start": start,
            "end": end,
            "channel": ORGANIC if channel == "" else (channel or ""),
            "channel_choices": [(c["channel"] or ORGANIC, c["label"]) for c in channels],
            "funnel": steps,
            "funnel_svg": charts.bar_chart(
                title=gettext("Funnel"), rows=[(s.label, s.value, pct(s)) for s in steps], width=620
            ),
            "cohorts": cohorts,
            "offsets": RETENTION_OFFSETS,
            "retention_svg": charts.heatmap(
                title=gettext("Retention"),
                row_labels=[c.cohort.strftime("%m-%d") for c in cohorts],
                col_labels=[f"D{o}" for o in RETENTION_OFFSETS],
                cells=[[c.rate(o) for o in RETENTION_OFFSETS] for c in cohorts],
                sizes=[c.size for c in cohorts],
            ),
            "users_svg": charts.line_chart(
                title=gettext("Users"),
                x_labels=x_labels,
                series=[
                    (gettext("New users"), [r["new_users"] for r in trends]),
                    (gettext("Daily active users"), [r["dau"] for r in trends]),
                    (gettext("Monthly active users"), [r["mau"] for r in trends]),
                ],
            ),
            "points_svg": charts.line_chart(
                title=gettext("Points"),
                x_labels=x_labels,
                series=[
                    (gettext("Points issued"), [r["points_issued"] for r in trends]),
                    (gettext("Points spent"), [r["points_spent"] for r in trends]),
                    (gettext("Points expired"), [r["points_expired"] for r in trends]),
                ],
            ),
            "plays_svg": charts.line_chart(
                title=gettext("Plays"),
                x_labels=x_labels,
                series=[
                    (gettext("Lottery draws"), [r["draws"] for r in trends]),
                    (gettext("Lottery prizes won"), [r["prizes_won"] for r in trends]),
                    (gettext("Red packets opened"), [r["packets_opened"] for r in trends]),
                    (gettext("Quizzes answered"), [r["quizzes"] for r in trends]),
                ],
            ),
            "channels": channels,
            "channels_svg": charts.bar_chart(
                title=gettext("New users by channel"),
                rows=[(c["label"], c["new_users"], str(c["new_users"])) for c in channels],
            ),
            "inviters": inviters,
            "products": products,
            "pools": [(d, label, v, winners.get(d, 0)) for d, label, v in pools],
            "segments_on": segments_on,
            "segment_rows": segment_rows,
            "segments_svg": charts.bar_chart(
                title=gettext("Segments"),
                rows=[(label, v, str(v)) for kind, _key, label, v in segment_rows if kind == "segment"],
            ),
            "stages_svg": charts.bar_chart(
                title=gettext("Lifecycle stages"),
                rows=[(label, v, str(v)) for kind, _key, label, v in segment_rows if kind == "stage"],
            ),
            "k": k,
            "trends": trends,
            "exports": [
                (name, reverse("admin:analytics_dashboard_export", args=[name]) + (f"?{query}" if query else ""))
                for name in selectors.CSV_TABLES
            ],
        }
        return TemplateResponse(request, "admin/analytics/dashboard.html", {**context, **(extra_context or {})})

    def export_view(self, request, table: str):
        self._may_view(request)
        start, end, channel = dashboard_filters(request)
        try:
            header, rows = selectors.csv_table(table, start=start, end=end, channel=channel)
        except KeyError:
            raise Http404(gettext("No such table.")) from None
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{table}_{start}_{end}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 (Chinese labels) only with a BOM
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows(rows)
        return response


@admin.register(SegmentConfig)
class SegmentConfigAdmin(admin.ModelAdmin):
    list_display = ["__str__", "new_user_days", "recent_days", "dormant_days", "churn_days", "frequency_high"]

    def has_add_permission(self, request):
        return not SegmentConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UserSegment)
class UserSegmentAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "segment",
        "stage",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "computed_on",
    ]
    list_filter = ["segment", "stage", "r_score", "f_score", "m_score"]
    search_fields = ["user__username", "user__nickname"]
    list_select_related = ["user"]


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "segment", "stage", "action", "points", "product", "period_days", "links"]
    list_filter = ["is_active", "action"]
    autocomplete_fields = ["product"]

    @admin.display(description=_("actions"))
    def links(self, obj):
        url = reverse("admin:analytics_automationrule_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Dry run / run now"))

    def get_urls(self):
        own = [
            path(
                "<int:rule_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="analytics_automationrule_preview",
            )
        ]
        return own + super().get_urls()

    def preview_view(self, request, rule_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rule = get_object_or_404(AutomationRule.objects.select_related("product"), pk=rule_id)
        if request.method == "POST":
            if not self.has_change_permission(request, rule):
                raise PermissionDenied
            try:
                result = automation_run(rule=rule)
            except ApplicationError as exc:
                self.message_user(request, str(exc.detail), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Done: %(done)s user(s) reached, %(skipped)s skipped.")
                    % {"done": result.done, "skipped": len(result.skipped)},
                    messages.SUCCESS,
                )
            return redirect("admin:analytics_automationrule_preview", rule_id=rule.pk)
        targets = list(automation_targets(rule=rule)[:500])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Dry run of %(rule)s") % {"rule": rule},
            "rule": rule,
            "targets": targets,
            "target_count": automation_targets(rule=rule).count(),
            "can_run": self.has_change_permission(request, rule) and rule.is_active,
        }
        return TemplateResponse(request, "admin/analytics/automationrule/preview.html", context)


@admin.register(AutomationGrant)
class AutomationGrantAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "rule", "user", "period", "status", "detail"]
    list_filter = ["rule", "status"]
    list_select_related = ["rule", "user"]
