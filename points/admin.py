"""Points in admin: the ledger read-only, rules editable, and two staff operations (adjust, bulk grant).

The operations call points.services.admin_ops; nothing here changes a balance itself.
"""

import json
import uuid
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core.admin_utils import ReadOnlyAdmin
from core.exceptions import ApplicationError
from points.forms import (
    BulkGrantConfirmForm,
    BulkGrantUploadForm,
    LevelPlanConfirmForm,
    LevelPlannerForm,
    PlannerActionFormSet,
    PointsAdjustForm,
)
from points.models import (
    Account,
    Entry,
    Growth,
    Level,
    PointsTask,
    Signin,
    SigninConfig,
    SigninReward,
    TaskCompletion,
    Transaction,
)
from points.selectors import wallet_balance
from points.services.admin_ops import BulkRow, bulk_grant_parse, bulk_grant_plan, points_adjust, points_bulk_grant
from points.services.planner import (
    HISTORY_DAYS,
    configured_actions,
    levels_apply,
    plan_history,
    plan_levels,
    typical_daily_growth,
)
from points.services.planner import Action as PlannedAction

OPERATE_PERMISSION = "points.change_account"
BULK_SESSION_PREFIX = "points_bulk:"


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("account", "amount", "balance_after", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "kind", "user", "balance", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = ("code", "user__nickname", "user__phone")
    list_select_related = ("user",)
    change_list_template = "admin/points/account/change_list.html"

    def get_urls(self):
        own = [
            path("adjust/", self.admin_site.admin_view(self.adjust_view), name="points_account_adjust"),
            path("bulk-grant/", self.admin_site.admin_view(self.bulk_grant_view), name="points_account_bulk_grant"),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_operate": request.user.has_perm(OPERATE_PERMISSION)}
        return super().changelist_view(request, extra_context=extra_context)

    def _operator_context(self, request, title):
        if not request.user.has_perm(OPERATE_PERMISSION):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def adjust_view(self, request):
        """Add or take away one user's points with a reason, posted once however often it is submitted."""
        context = self._operator_context(request, _("Adjust points"))
        if request.method == "POST":
            form = PointsAdjustForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    txn = points_adjust(
                        user=data["user"],
                        amount=data["amount"],
                        reason=data["reason"],
                        actor=request.user,
                        key=str(data["key"]),
                    )
                except ApplicationError as exc:
                    if exc.code == "insufficient_points":
                        form.add_error(
                            "amount",
                            _("Refused: the balance is %(balance)d points; this would take it below zero.")
                            % {"balance": wallet_balance(user=data["user"])},
                        )
                    else:
                        form.add_error(None, str(exc.detail))
                else:
                    messages.success(
                        request,
                        _("Posted: %(amount)+d points for %(user)s (transaction %(id)d).")
                        % {"amount": data["amount"], "user": data["user"], "id": txn.pk},
                    )
                    return redirect(reverse("admin:points_transaction_change", args=[txn.pk]))
        else:
            form = PointsAdjustForm(initial={"user": request.GET.get("user", "")})
        return TemplateResponse(request, "admin/points/adjust.html", {**context, "form": form})

    def bulk_grant_view(self, request):
        """Upload a CSV, preview what it grants, then confirm; rows that match no user are reported."""
        context = self._operator_context(request, _("Bulk grant points"))
        if request.method == "POST" and "batch_id" in request.POST:
            return self._bulk_confirm(request, context)
        if request.method == "POST":
            form = BulkGrantUploadForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    rows, problems = bulk_grant_parse(form.cleaned_data["file"])
                except ApplicationError as exc:
                    form.add_error("file", str(exc.detail))
                else:
                    plan = bulk_grant_plan(rows=rows)
                    batch_id = str(uuid.uuid4())
                    request.session[BULK_SESSION_PREFIX + batch_id] = {
                        "rows": [[row.line, row.ref, row.points] for row, _user in plan.grants],
                        "problems": [[p.line, p.ref, str(p.problem)] for p in problems + plan.problems],
                        "reason": form.cleaned_data["reason"],
                    }
                    return TemplateResponse(
                        request,
                        "admin/points/bulk_grant_preview.html",
                        {
                            **context,
                            "grants": plan.grants,
                            "total": plan.total,
                            "problems": sorted(problems + plan.problems, key=lambda p: p.line),
                            "reason": form.cleaned_data["reason"],
                            "confirm": BulkGrantConfirmForm(initial={"batch_id": batch_id}),
                        },
                    )
        else:
            form = BulkGrantUploadForm()
        return TemplateResponse(request, "admin/points/bulk_grant.html", {**context, "form": form})

    def _bulk_confirm(self, request, context):
        confirm = BulkGrantConfirmForm(request.POST)
        stored = None
        if confirm.is_valid():
            batch_id = str(confirm.cleaned_data["batch_id"])
            stored = request.session.get(BULK_SESSION_PREFIX + batch_id)
        if stored is None:
            messages.error(request, _("This upload has expired; please upload the file again."))
            return redirect(reverse("admin:points_account_bulk_grant"))
        rows = [BulkRow(line, ref, points) for line, ref, points in stored["rows"]]
        try:
            result = points_bulk_grant(rows=rows, reason=stored["reason"], actor=request.user, batch_id=batch_id)
        except ApplicationError as exc:
            messages.error(request, str(exc.detail))
            return redirect(reverse("admin:points_account_bulk_grant"))
        problems = [*stored["problems"], *[[p.line, p.ref, str(p.problem)] for p in result.problems]]
        unique_problems = sorted({tuple(p) for p in problems})
        return TemplateResponse(
            request,
            "admin/points/bulk_grant_done.html",
            {**context, "result": result, "problems": unique_problems, "batch_id": batch_id},
        )


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "key", "memo", "actor", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = (
        "key",
        "memo",
        "entries__account__code",
        "entries__account__user__nickname",
        "entries__account__user__phone",
    )
    list_select_related = ("actor",)
    readonly_fields = ("kind", "key", "memo", "actor", "metadata", "refund_of", "created_at")
    fields = readonly_fields
    inlines = [EntryInline]


@admin.register(PointsTask)
class PointsTaskAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "title",
        "points",
        "growth",
        "frequency",
        "daily_cap",
        "client_completable",
        "is_active",
        "starts_at",
        "ends_at",
        "sort_order",
    )
    list_editable = ("is_active", "sort_order")
    list_filter = ("frequency", "client_completable", "is_active")
    search_fields = ("code", "title")


@admin.register(SigninConfig)
class SigninConfigAdmin(admin.ModelAdmin):
    list_display = ("__str__", "cycle_length", "makeup_enabled", "makeup_cost", "makeup_monthly_limit")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SigninConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SigninReward)
class SigninRewardAdmin(admin.ModelAdmin):
    list_display = ("day", "points", "growth")
    list_editable = ("points", "growth")


class LevelPlannerAdminMixin:
    """The level planner (等级规划) under the level list: propose thresholds from the playbook's
    steps (points.services.planner), then apply them only on a second, confirming POST."""

    change_list_template = "admin/points/level/change_list.html"

    def get_urls(self):
        own = [path("planner/", self.admin_site.admin_view(self.planner_view), name="points_level_planner")]
        return own + super().get_urls()

    def planner_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        can_apply = self.has_change_permission(request) and self.has_add_permission(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Level planner"),
            "can_apply": can_apply,
        }
        if request.method == "POST" and "plan" in request.POST:
            if not can_apply:
                raise PermissionDenied
            confirm = LevelPlanConfirmForm(request.POST)
            if not confirm.is_valid():
                messages.error(request, _("This plan is not readable; propose it again."))
                return redirect(reverse("admin:points_level_planner"))
            try:
                updated, created, deleted = levels_apply(levels=confirm.cleaned_data["plan"])
            except ApplicationError as exc:
                messages.error(request, str(exc.detail))
                return redirect(reverse("admin:points_level_planner"))
            messages.success(
                request,
                _("Levels applied: %(updated)d updated, %(created)d created, %(deleted)d deleted.")
                % {"updated": updated, "created": created, "deleted": deleted},
            )
            return redirect(reverse("admin:points_level_changelist"))

        totals = plan_history()
        typical = typical_daily_growth(totals)
        existing = list(Level.objects.order_by("threshold").values_list("name", flat=True))
        if request.method == "POST":
            form = LevelPlannerForm(request.POST)
            actions = PlannerActionFormSet(request.POST, prefix="actions")
        else:
            form = LevelPlannerForm(
                initial={
                    "daily_cap": settings.POINTS_GROWTH_DAILY_CAP,
                    "levels": max(len(existing), 2) if existing else 5,
                }
            )
            actions = PlannerActionFormSet(
                prefix="actions",
                initial=[
                    {"name": a.name, "growth": a.growth, "per_day": _decimal(a.per_day)} for a in configured_actions()
                ],
            )
        context.update(
            form=form,
            actions=actions,
            history_members=len(totals),
            history_days=HISTORY_DAYS,
            typical=None if typical is None else _decimal(typical),
        )
        if request.method == "POST" and form.is_valid() and actions.is_valid():
            data = form.cleaned_data
            weighed = [
                PlannedAction(name=row["name"], growth=row["growth"], per_day=Fraction(row["per_day"]))
                for row in actions.cleaned_data
                if row.get("name")
            ]
            try:
                plan = plan_levels(
                    actions=weighed,
                    daily_cap=data["daily_cap"],
                    horizon_days=data["horizon_days"],
                    levels=data["levels"],
                    curve=data["curve"],
                    parameter=None if data["parameter"] is None else Fraction(data["parameter"]),
                    round_to=data["round_to"],
                    typical=typical,
                )
            except ValueError as exc:
                form.add_error(None, _("No plan: %(why)s.") % {"why": exc})
            else:
                names = data["names"] + existing[len(data["names"]) :]
                names += [_("Level %(n)d") % {"n": n + 1} for n in range(len(names), len(plan.levels))]
                rows = list(zip(names, plan.levels, strict=False))
                current = list(Level.objects.order_by("threshold").values_list("name", "threshold"))
                context.update(
                    plan=plan,
                    plan_rows=[
                        (name, level, current[n] if n < len(current) else None) for n, (name, level) in enumerate(rows)
                    ],
                    daily_growth=_decimal(plan.daily_growth),
                    dropped=current[len(rows) :],
                    confirm=LevelPlanConfirmForm(
                        initial={
                            "plan": json.dumps([[name, level.threshold] for name, level in rows], ensure_ascii=False)
                        }
                    ),
                )
        return TemplateResponse(request, "admin/points/level/planner.html", context)


def _decimal(value: Fraction) -> Decimal:
    """A fraction for a form or a page: three decimals."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.001"))


@admin.register(Level)
class LevelAdmin(LevelPlannerAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "threshold",
        "discount_percent",
        "extra_makeups_per_month",
        "extra_lottery_draws_per_day",
        "birthday_gift_points",
    )
    list_editable = ("threshold",)
    fieldsets = [
        (None, {"fields": ("name", "threshold")}),
        (
            _("Privileges"),
            {
                "fields": (
                    "discount_percent",
                    "extra_makeups_per_month",
                    "extra_lottery_draws_per_day",
                    "birthday_gift_points",
                ),
                "description": _(
                    'Exclusive products: set a product\'s "level required" in the mall; members of '
                    "that level and above may redeem it."
                ),
            },
        ),
    ]


@admin.register(TaskCompletion)
class TaskCompletionAdmin(ReadOnlyAdmin):
    list_display = ("task", "user", "period", "points", "growth", "created_at")
    list_filter = ("task", "created_at")
    search_fields = ("task__code", "user__nickname", "user__phone")
    list_select_related = ("task", "user")


@admin.register(Signin)
class SigninAdmin(ReadOnlyAdmin):
    list_display = ("user", "local_date", "streak", "points", "makeup", "created_at")
    list_filter = ("makeup", "local_date")
    search_fields = ("user__nickname", "user__phone")
    list_select_related = ("user",)


@admin.register(Growth)
class GrowthAdmin(ReadOnlyAdmin):
    list_display = ("user", "total")
    search_fields = ("user__nickname", "user__phone")
    list_select_related = ("user",)
