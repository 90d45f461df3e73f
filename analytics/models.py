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
    tags = models.ManyToManyField(
        "core.Tag",
        verbose_name=_("target tags"),
        blank=True,
        related_name="+",
        help_text=_(
            "Only members carrying at least one of these tags (with a segment or stage: members of both). "
            "Empty: no tag filter."
        ),
    )
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
            # Neither is allowed when the rule targets tags (checked by the admin form: tags are M2M).
            models.CheckConstraint(
                condition=models.Q(segment="") | models.Q(stage=""),
                name="analytics_rule_segment_or_stage",
                violation_error_code="segment",
                violation_error_message=_("Target a segment or a stage, not both."),
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


# -- rule tags ----------------------------------------------------------------------------------


class TagRule(ConstraintErrorsOnFields, models.Model):
    """Who carries a rule tag (core.Tag of kind `rule`): the nightly run replaces its members with
    the members this rule selects, adding and removing (analytics.services.tags)."""

    class Kind(models.TextChoices):
        CHANNEL = "channel", _("came through a channel")
        INVITED = "invited", _("invited by a friend")
        LEVEL = "level", _("membership level")
        SEGMENT = "segment", _("RFM segment")
        STAGE = "stage", _("lifecycle stage")
        CHALLENGES = "challenges", _("joined at least N challenge rounds")
        REDEEMED = "redeemed", _("redeemed a product")
        NO_VISIT = "no_visit", _("no visit for N days")
        PHONE_VERIFIED = "phone_verified", _("verified a phone number")
        GENDER = "gender", _("gender (when given)")
        AGE_BAND = "age_band", _("age band (when the birthday is given)")
        CITY = "city", _("city (when given)")

    class Gender(models.TextChoices):  # core.User.Gender without "not given": a rule names one
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    tag = models.OneToOneField("core.Tag", verbose_name=_("tag"), on_delete=models.CASCADE, related_name="rule")
    kind = models.CharField(_("rule"), max_length=16, choices=Kind.choices)
    channel = models.ForeignKey(
        "referral.Channel",
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    level = models.ForeignKey(
        "points.Level", verbose_name=_("level"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, blank=True)
    stage = models.CharField(_("lifecycle stage"), max_length=16, choices=Stage.choices, blank=True)
    product = models.ForeignKey(
        "mall.Product", verbose_name=_("product"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    number = models.PositiveIntegerField(
        _("N"), default=0, help_text=_("Challenge rounds joined (at least), or days without a visit.")
    )
    visit_kinds = models.CharField(
        _("what counts as a visit"),
        max_length=200,
        blank=True,
        help_text=_("Event kinds, comma-separated (signed_in, checked_in, visited...). Empty: every active kind."),
    )
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    age_min = models.PositiveSmallIntegerField(
        _("age from"), null=True, blank=True, help_text=_("Whole years, inclusive.")
    )
    age_max = models.PositiveSmallIntegerField(
        _("age to"), null=True, blank=True, help_text=_("Whole years, inclusive.")
    )
    city = models.CharField(
        _("city"), max_length=64, blank=True, help_text=_("Matched ignoring case and surrounding spaces.")
    )

    class Meta:
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="channel") | models.Q(channel__isnull=False),
                name="analytics_tagrule_channel",
                violation_error_code="channel",
                violation_error_message=_("Choose the channel."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="level") | models.Q(level__isnull=False),
                name="analytics_tagrule_level",
                violation_error_code="level",
                violation_error_message=_("Choose the level."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="segment") | ~models.Q(segment=""),
                name="analytics_tagrule_segment",
                violation_error_code="segment",
                violation_error_message=_("Choose the segment."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="stage") | ~models.Q(stage=""),
                name="analytics_tagrule_stage",
                violation_error_code="stage",
                violation_error_message=_("Choose the stage."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="redeemed") | models.Q(product__isnull=False),
                name="analytics_tagrule_product",
                violation_error_code="product",
                violation_error_message=_("Choose the product."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["challenges", "no_visit"]) | models.Q(number__gte=1),
                name="analytics_tagrule_number",
                violation_error_code="number",
                violation_error_message=_("N must be at least 1."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="gender") | ~models.Q(gender=""),
                name="analytics_tagrule_gender",
                violation_error_code="gender",
                violation_error_message=_("Choose the gender."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="age_band")
                | (
                    models.Q(age_min__isnull=False)
                    & models.Q(age_max__isnull=False)
                    & models.Q(age_min__lte=models.F("age_max"))
                ),
                name="analytics_tagrule_age_band",
                violation_error_code="age_max",
                violation_error_message=_("Give both ages, the first not above the second."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="city") | ~models.Q(city=""),
                name="analytics_tagrule_city",
                violation_error_code="city",
                violation_error_message=_("Give the city."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} {self.get_kind_display()}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from events.models import Event

        self.city = self.city.strip()
        unknown = [k for k in self.visit_kind_list() if k not in Event.Kind.values]
        if unknown:
            raise ValidationError({"visit_kinds": _("Unknown event kinds: %(kinds)s") % {"kinds": ", ".join(unknown)}})

    def visit_kind_list(self) -> list[str]:
        return [k.strip() for k in self.visit_kinds.split(",") if k.strip()]


# -- points value and liability -----------------------------------------------------------------


class PointsValue(ConstraintErrorsOnFields, models.Model):
    """What points are worth: `points` points are worth `fen` fen (one row, edited in admin).

    Two integers, a ratio, so any value is exact (3 points = 1 fen has no exact price per point in
    yuan); money is always a whole number of fen, rounded as analytics.services.liability says."""

    points = models.PositiveIntegerField(_("points"), default=100, help_text=_("This many points..."))
    fen = models.PositiveIntegerField(
        _("are worth (fen)"), default=100, help_text=_("...are worth this many fen (1 yuan = 100 fen).")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points value")
        verbose_name_plural = _("points value")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=1),
                name="analytics_points_value_single",
                violation_error_message=_("There is only one points value: edit the existing one."),
            ),
            models.CheckConstraint(
                condition=models.Q(points__gt=0),
                name="analytics_points_value_points_positive",
                violation_error_code="points",
                violation_error_message=_("The number of points must be at least 1."),
            ),
            models.CheckConstraint(
                condition=models.Q(fen__gt=0),
                name="analytics_points_value_fen_positive",
                violation_error_code="fen",
                violation_error_message=_("The value must be at least 1 fen."),
            ),
        ]

    def __str__(self) -> str:
        whole, cents = divmod(self.fen, 100)
        return f"{self.points} = ¥{whole}.{cents:02d}"


class LiabilityCheck(models.Model):
    """One run of the nightly liability check: the points members hold, by three independent sums
    (wallet balances, their ledger entries, their lots' remainders), and the liability in fen at the
    value of the day. Any difference is a problem, shown as an alert on the dashboard."""

    checked_at = models.DateTimeField(_("checked at"), db_index=True)
    points = models.PositiveIntegerField(_("points"))
    fen = models.PositiveIntegerField(_("are worth (fen)"))
    balances = models.BigIntegerField(_("wallet balances"))
    entries = models.BigIntegerField(_("sum of wallet entries"))
    lots = models.BigIntegerField(_("sum of lot remainders"))
    overdue = models.BigIntegerField(_("points in overdue lots"), default=0)
    liability_fen = models.BigIntegerField(_("liability (fen)"))
    problems = models.JSONField(_("problems"), default=list, blank=True)
    ok = models.BooleanField(_("consistent"), default=True)

    class Meta:
        verbose_name = _("liability check")
        verbose_name_plural = _("liability checks")
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'MISMATCH'}"
