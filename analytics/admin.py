import csv
import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics import charts, selectors
from analytics.models import (
    AutomationGrant,
    AutomationRule,
    DailyMetric,
    LiabilityCheck,
    PointsValue,
    SegmentConfig,
    TagRule,
    UserSegment,
)
from analytics.services import (
    RETENTION_OFFSETS,
    automation_run,
    automation_targets,
    liability_check,
    tag_compute,
    yuan,
)
from core.admin_utils import ReadOnlyAdmin
from core.clock import local_today
from core.exceptions import ApplicationError
from core.models import Tag
from core.tags import tag_import_apply, tag_import_preview, tag_member_count

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


def liability_context(*, start: dt.date, end: dt.date) -> dict:
    """The dashboard's points value and liability section (admin/analytics/_liability.html)."""
    figures = selectors.liability_figures(start=start, end=end)
    return {
        "liability": figures,
        "liability_yuan": yuan(figures.liability_fen),
        "expiring_yuan": yuan(figures.expiring_fen),
        "breakage_pct": "-" if figures.breakage is None else f"{figures.breakage:.1%}",
        "margins": [
            (
                m.product,
                yuan(m.value_fen),
                "-" if m.cost_fen is None else yuan(m.cost_fen),
                "-" if m.margin_fen is None else yuan(m.margin_fen),
                "" if m.rate is None else f"{m.rate:.0%}",
            )
            for m in figures.margins
        ],
        "sources_svg": charts.bar_chart(
            title=gettext("Points issued by source"),
            rows=[(row.label, row.issued, str(row.issued)) for row in figures.sources if row.issued > 0],
        ),
    }


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
            path(
                "liability-check/",
                self.admin_site.admin_view(self.liability_check_view),
                name="analytics_dashboard_liability_check",
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
                    (gettext("Store visits"), [r["store_visits"] for r in trends]),
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
            **liability_context(start=start, end=end),
            "exports": [
                (name, reverse("admin:analytics_dashboard_export", args=[name]) + (f"?{query}" if query else ""))
                for name in selectors.CSV_TABLES
            ],
        }
        return TemplateResponse(request, "admin/analytics/dashboard.html", {**context, **(extra_context or {})})

    def liability_check_view(self, request):
        """Run the liability check now (POST), then back to the dashboard."""
        self._may_view(request)
        if request.method != "POST":
            return redirect("admin:analytics_dailymetric_changelist")
        check = liability_check()
        if check.ok:
            self.message_user(request, gettext("The points liability is consistent."), messages.SUCCESS)
        else:
            self.message_user(request, gettext("The points liability check found differences."), messages.ERROR)
        return redirect("admin:analytics_dailymetric_changelist")

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


@admin.register(PointsValue)
class PointsValueAdmin(admin.ModelAdmin):
    list_display = ["__str__", "points", "fen", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not PointsValue.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LiabilityCheck)
class LiabilityCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "ok", "balances", "entries", "lots", "overdue", "liability", "points", "fen"]
    list_filter = ["ok"]

    @admin.display(description=_("liability"), ordering="liability_fen")
    def liability(self, obj):
        return yuan(obj.liability_fen)


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


class AutomationRuleForm(forms.ModelForm):
    class Meta:
        model = AutomationRule
        fields = [
            "name",
            "is_active",
            "segment",
            "stage",
            "tags",
            "action",
            "points",
            "product",
            "template_id",
            "message",
            "page",
            "period_days",
        ]

    def clean(self):
        data = super().clean()
        if not data.get("segment") and not data.get("stage") and not data.get("tags"):
            self.add_error("segment", _("Target a segment, a stage or tags."))
        return data


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    form = AutomationRuleForm
    list_display = [
        "name",
        "is_active",
        "segment",
        "stage",
        "target_tags",
        "action",
        "points",
        "product",
        "period_days",
        "reach",
        "links",
    ]
    list_filter = ["is_active", "action"]
    autocomplete_fields = ["product"]
    filter_horizontal = ["tags"]

    def get_readonly_fields(self, request, obj=None):
        return ["reach_now"] if obj is not None else []  # a rule not yet saved reaches nobody yet

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("target tags"))
    def target_tags(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all()) or "-"

    @admin.display(description=_("reach now"))
    def reach(self, obj):
        return automation_targets(rule=obj).count()

    @admin.display(description=_("reach now"))
    def reach_now(self, obj):
        """How many members the rule, as saved, would reach if it ran now (the dry run lists them)."""
        if obj is None or obj.pk is None:
            return gettext("Save first: the reach is counted for the saved rule.")
        url = reverse("admin:analytics_automationrule_preview", args=[obj.pk])
        return format_html(
            '{} · <a href="{}">{}</a>',
            gettext("%(count)s member(s)") % {"count": automation_targets(rule=obj).count()},
            url,
            gettext("Dry run / run now"),
        )

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


# -- tags (用户标签): core.Tag, with its rule (analytics.TagRule) and the CSV import -------------------


class TagRuleInline(admin.StackedInline):
    model = TagRule
    extra = 0
    max_num = 1
    autocomplete_fields = ["product"]
    fields = [
        "kind",
        "channel",
        "level",
        "segment",
        "stage",
        "product",
        "number",
        "visit_kinds",
        "gender",
        ("age_min", "age_max"),
        "city",
    ]
    verbose_name = _("rule (computed nightly)")


class TagImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_("First column: phone numbers or user IDs, one per row; a header row is skipped."),
    )
    text = forms.CharField(label=_("or paste them"), widget=forms.Textarea(attrs={"rows": 8}), required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            raw = upload.read()
            try:
                data["content"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    data["content"] = raw.decode("gb18030")  # a CSV saved by Excel on a Chinese Windows
                except UnicodeDecodeError:
                    raise forms.ValidationError(_("The file is not a readable CSV.")) from None
        else:
            data["content"] = data.get("text") or ""
        if not data["content"].strip():
            raise forms.ValidationError(_("Choose a file or paste phones or IDs."))
        return data


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags operators define: manual ones (the customer list's actions, a CSV import) and rule ones
    (a rule below; members recomputed every night and on saving)."""

    list_display = ["name", "kind", "rule_text", "members", "computed_at", "links"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["kind", "computed_at", "members"]
    fields = ["name", "description", "kind", "computed_at", "members"]
    inlines = [TagRuleInline]
    actions = ["compute_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rule").annotate(member_count=Count("assignments"))

    @admin.display(description=_("rule"))
    def rule_text(self, obj):
        rule = getattr(obj, "rule", None)
        if rule is None:
            return "-"
        detail = {
            TagRule.Kind.CHANNEL: lambda: str(rule.channel),
            TagRule.Kind.LEVEL: lambda: str(rule.level),
            TagRule.Kind.SEGMENT: rule.get_segment_display,
            TagRule.Kind.STAGE: rule.get_stage_display,
            TagRule.Kind.REDEEMED: lambda: str(rule.product),
            TagRule.Kind.CHALLENGES: lambda: f"N={rule.number}",
            TagRule.Kind.NO_VISIT: lambda: f"N={rule.number}",
            TagRule.Kind.GENDER: rule.get_gender_display,
            TagRule.Kind.AGE_BAND: lambda: f"{rule.age_min}-{rule.age_max}",
            TagRule.Kind.CITY: lambda: rule.city,
        }.get(rule.kind)
        return f"{rule.get_kind_display()}: {detail()}" if detail else rule.get_kind_display()

    @admin.display(description=_("members"), ordering="member_count")
    def members(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        count = getattr(obj, "member_count", None)
        count = tag_member_count(obj) if count is None else count
        url = reverse("admin:accounts_customer_changelist") + f"?tag={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=_("actions"))
    def links(self, obj):
        if obj.kind != Tag.Kind.MANUAL:
            return "-"
        url = reverse("admin:core_tag_import", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Import members from CSV"))

    def save_related(self, request, form, formsets, change):
        """The tag's kind follows its rule: with a rule it is a rule tag (its members are the rule's,
        computed now and every night), without one a manual tag (its members stay as they are)."""
        super().save_related(request, form, formsets, change)
        tag = form.instance
        kind = Tag.Kind.RULE if TagRule.objects.filter(tag=tag).exists() else Tag.Kind.MANUAL
        if tag.kind != kind:
            Tag.objects.filter(pk=tag.pk).update(kind=kind)
            tag.kind = kind
        if kind == Tag.Kind.RULE:
            members, added, removed = tag_compute(tag=tag)
            self.message_user(
                request,
                gettext("Computed: %(members)s member(s), %(added)s added, %(removed)s removed.")
                % {"members": members, "added": added, "removed": removed},
                messages.SUCCESS,
            )

    @admin.action(description=_("Recompute the selected rule tags now"), permissions=["change"])
    def compute_selected(self, request, queryset):
        done = 0
        for tag in queryset.filter(kind=Tag.Kind.RULE).order_by("pk"):
            tag_compute(tag=tag)
            done += 1
        self.message_user(request, gettext("%(count)s rule tag(s) recomputed.") % {"count": done}, messages.SUCCESS)

    def get_urls(self):
        own = [
            path("<int:tag_id>/import/", self.admin_site.admin_view(self.import_view), name="core_tag_import"),
        ]
        return own + super().get_urls()

    def import_view(self, request, tag_id: int):
        """A CSV of phones or user IDs: upload, see who it names (a preview that changes nothing),
        then apply exactly that preview."""
        if not request.user.has_perm("core.add_usertag"):
            raise PermissionDenied
        tag = get_object_or_404(Tag, pk=tag_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import members of %(tag)s") % {"tag": tag},
            "tag": tag,
        }
        form = TagImportForm()
        if request.method == "POST" and "token" in request.POST:
            try:
                added = tag_import_apply(tag=tag, token=request.POST["token"], actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, str(exc.detail), messages.ERROR)
                return redirect("admin:core_tag_import", tag_id=tag.pk)
            self.message_user(request, gettext("%(count)s member(s) tagged.") % {"count": added}, messages.SUCCESS)
            return redirect("admin:core_tag_change", tag.pk)
        if request.method == "POST":
            form = TagImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    context["preview"] = tag_import_preview(tag=tag, text=form.cleaned_data["content"])
                except ApplicationError as exc:
                    form.add_error(None, str(exc.detail))
        context["form"] = form
        return TemplateResponse(request, "admin/analytics/tag_import.html", context)
