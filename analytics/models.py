"""Growth analytics: an append-only event record, nightly summary tables, segments and automations."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.db import ConstraintErrorsOnFields


class DailyMetric(models.Model):
    """One figure of one local day, optionally broken down by a dimension (a channel, an inviter,
    a product, a segment). The nightly job replaces a day's rows as a whole, so re-running it gives
    the same rows. Retention rows are dated by the signup cohort."""

    date = models.DateField(_("date"))
    metric = models.CharField(_("metric"), max_length=32)
    dimension = models.CharField(_("dimension"), max_length=64, blank=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    value = models.BigIntegerField(_("value"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("growth dashboard")
        verbose_name_plural = _("growth dashboard")
        constraints = [
            models.UniqueConstraint(fields=["date", "metric", "dimension"], name="analytics_metric_one_per_day"),
        ]
        indexes = [models.Index(fields=["metric", "date"], name="analytics_metric_by_name")]

    def __str__(self) -> str:
        return f"{self.date} {self.metric}[{self.dimension}]={self.value}"


class SegmentConfig(ConstraintErrorsOnFields, models.Model):
    """Thresholds of the RFM segments and lifecycle stages (one row, edited in admin)."""

    new_user_days = models.PositiveSmallIntegerField(
        _("new user for (days)"), default=7, help_text=_("Registered this recently: new user, introduction stage.")
    )
    recent_days = models.PositiveSmallIntegerField(
        _("recent within (days)"), default=3, help_text=_("Active this recently: the best recency score.")
    )
    dormant_days = models.PositiveSmallIntegerField(
        _("dormant after (days)"), default=14, help_text=_("Inactive this long: dormant stage.")
    )
    churn_days = models.PositiveSmallIntegerField(
        _("churned after (days)"), default=30, help_text=_("Inactive this long: lost segment and churned stage.")
    )
    frequency_window = models.PositiveSmallIntegerField(_("frequency window (days)"), default=30)
    frequency_high = models.PositiveSmallIntegerField(
        _("high frequency (active days)"),
        default=8,
        help_text=_("Active days in the window for the best score and the mature stage."),
    )
    monetary_window = models.PositiveSmallIntegerField(_("monetary window (days)"), default=90)
    monetary_high = models.PositiveIntegerField(
        _("high monetary (points redeemed)"),
        default=100,
        help_text=_("Points redeemed in the window for the best score."),
    )

    class Meta:
        verbose_name = _("segment thresholds")
        verbose_name_plural = _("segment thresholds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=1),
                name="analytics_segment_config_single",
                violation_error_message=_("There is only one segment configuration: edit the existing one."),
            ),
            models.CheckConstraint(
                condition=models.Q(recent_days__lt=models.F("dormant_days"))
                & models.Q(dormant_days__lt=models.F("churn_days")),
                name="analytics_segment_days_ordered",
                violation_error_code="dormant_days",
                violation_error_message=_("Days must increase: recent < dormant < churn."),
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Segment(models.TextChoices):
    IMPORTANT_VALUE = "important_value", _("important value")
    IMPORTANT_WINBACK = "important_winback", _("important win-back")
    NEW = "new", _("new user")
    GENERAL = "general", _("general")
    LOST = "lost", pgettext_lazy("segment", "lost")


class Stage(models.TextChoices):
    INTRODUCTION = "introduction", _("introduction")
    GROWING = "growing", _("growing")
    MATURE = "mature", _("mature")
    DORMANT = "dormant", _("dormant")
    CHURNED = "churned", _("churned")


class UserSegment(models.Model):
    """A user's RFM figures, scores (1-3), segment and lifecycle stage, recomputed nightly."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="growth_segment",
    )
    computed_on = models.DateField(_("computed on"))
    last_active_on = models.DateField(_("last active on"), null=True, blank=True)
    recency_days = models.PositiveIntegerField(_("days since active"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("active days"), default=0)
    monetary = models.BigIntegerField(_("points redeemed"), default=0)
    r_score = models.PositiveSmallIntegerField(_("R"), default=1)
    f_score = models.PositiveSmallIntegerField(_("F"), default=1)
    m_score = models.PositiveSmallIntegerField(_("M"), default=1)
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, db_index=True)
    stage = models.CharField(_("lifecycle stage"), max_length=16, choices=Stage.choices, db_index=True)

    class Meta:
        verbose_name = _("user segment")
        verbose_name_plural = _("user segments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(r_score__range=(1, 3), f_score__range=(1, 3), m_score__range=(1, 3)),
                name="analytics_segment_scores_1_3",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.get_segment_display()} {self.get_stage_display()}"


class AutomationRule(ConstraintErrorsOnFields, models.Model):
    """Targets a segment or a lifecycle stage and grants points or a voucher, or sends a subscribe
    message, at most once per user and period."""

    class Action(models.TextChoices):
        POINTS = "points", _("grant points")
        VOUCHER = "voucher", _("grant a voucher")
        MESSAGE = "message", _("send a subscribe message")

    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, blank=True)
    stage = models.CharField(_("lifecycle stage"), max_length=16, choices=Stage.choices, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices, default=Action.POINTS)
    points = models.PositiveIntegerField(_("points"), default=0)
    product = models.ForeignKey(
        "mall.Product",
        verbose_name=_("voucher product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    template_id = models.CharField(_("subscribe template id"), max_length=64, blank=True)
    message = models.CharField(_("message"), max_length=20, blank=True, help_text=_("At most 20 characters (thing1)."))
    page = models.CharField(_("mini-program page"), max_length=200, blank=True)
    period_days = models.PositiveSmallIntegerField(
        _("period (days)"), default=30, help_text=_("A user gets this at most once per period; 0: once ever.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(segment="") & ~models.Q(stage="")) | (~models.Q(segment="") & models.Q(stage="")),
                name="analytics_rule_one_target",
                violation_error_code="segment",
                violation_error_message=_("Target either a segment or a stage, not both and not neither."),
            ),
            models.CheckConstraint(
                condition=~models.Q(action="points") | models.Q(points__gt=0),
                name="analytics_rule_points_positive",
                violation_error_code="points",
                violation_error_message=_("Points to grant must be above 0."),
            ),
            models.CheckConstraint(
                condition=~models.Q(action="voucher") | models.Q(product__isnull=False),
                name="analytics_rule_voucher_product",
                violation_error_code="product",
                violation_error_message=_("A voucher automation needs a product."),
            ),
            models.CheckConstraint(
                condition=~models.Q(action="message") | ~models.Q(template_id=""),
                name="analytics_rule_message_template",
                violation_error_code="template_id",
                violation_error_message=_("A message automation needs a template id."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AutomationGrant(models.Model):
    """One user reached by one rule in one period; the unique constraint is the once-per-period rule."""

    class Status(models.TextChoices):
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    rule = models.ForeignKey(
        AutomationRule, verbose_name=_("automation"), on_delete=models.PROTECT, related_name="grants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.IntegerField(_("period"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DONE)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("automation grant")
        verbose_name_plural = _("automation grants")
        constraints = [
            models.UniqueConstraint(fields=["rule", "user", "period"], name="analytics_grant_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.user_id} {self.period}"
