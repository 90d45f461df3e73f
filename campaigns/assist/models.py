"""Assist (助力) and bargain (砍价): campaigns, the tasks users start, and friends' helps."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields

# -- assist (助力) and bargain (砍价) ---------------------------------------------------------------


class AssistCampaign(ConstraintErrorsOnFields, models.Model):
    """A task users start and friends help with.

    Assist: at `helpers_required` helps the starter gets the reward (points or a mall product) once.
    Bargain: each help cuts the product's price by a random share of (price - floor); the help
    that reaches `helpers_required` brings it to the floor. The starter redeems at the current price.
    """

    class Kind(models.TextChoices):
        ASSIST = "assist", _("assist (助力)")
        BARGAIN = "bargain", _("bargain (砍价)")

    class RewardKind(models.TextChoices):
        POINTS = "points", _("points")
        PRODUCT = "product", _("mall product")

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ASSIST)
    reward_kind = models.CharField(_("reward"), max_length=16, choices=RewardKind.choices, default=RewardKind.POINTS)
    reward_points = models.PositiveIntegerField(_("reward points"), default=0)
    product = models.ForeignKey(
        "mall.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assist_campaigns",
        help_text=_("The reward of an assist paid in a product, or the product a bargain sells."),
    )
    floor_price = models.PositiveIntegerField(
        _("floor price (points)"), default=0, help_text=_("Bargain only: the lowest price helps can reach.")
    )
    helpers_required = models.PositiveSmallIntegerField(_("helpers required"), default=3)
    time_limit_hours = models.PositiveIntegerField(_("time limit (hours)"), default=48)
    helps_per_day = models.PositiveSmallIntegerField(
        _("helps per user per day"), default=3, help_text=_("How many tasks of this campaign one user may help a day.")
    )
    new_user_counts_double = models.BooleanField(
        _("new users count double"), default=False, help_text=_("A helper who registered today counts as two helpers.")
    )
    tasks_per_user = models.PositiveIntegerField(
        _("tasks per user"),
        default=1,
        help_text=_("How many tasks one user may start, expired ones aside (0 = no limit)."),
    )
    seed = models.CharField(
        _("random seed"),
        max_length=32,
        blank=True,
        help_text=_("Bargain only: fixes the cuts, for reproducible tests."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("open from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("open until"), null=True, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "referral_assistcampaign"  # the table kept its name when the play left referral
        verbose_name = _("assist campaign")
        verbose_name_plural = _("assist campaigns")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(helpers_required__gte=1) & Q(helpers_required__lte=100),
                name="referral_assist_helpers_range",
                violation_error_code="helpers_required",
                violation_error_message=_("Helpers required must be between 1 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(time_limit_hours__gte=1),
                name="referral_assist_time_limit_positive",
                violation_error_code="time_limit_hours",
                violation_error_message=_("The time limit must be at least 1 hour."),
            ),
            models.CheckConstraint(
                condition=Q(helps_per_day__gte=1),
                name="referral_assist_helps_per_day_positive",
                violation_error_code="helps_per_day",
                violation_error_message=_("Helps per day must be at least 1."),
            ),
            # What each kind needs: points or a product for an assist, a product for a bargain.
            models.CheckConstraint(
                condition=~Q(kind="assist", reward_kind="points") | Q(reward_points__gt=0),
                name="referral_assist_points_reward_positive",
                violation_error_code="reward_points",
                violation_error_message=_("An assist paid in points needs reward points above 0."),
            ),
            models.CheckConstraint(
                condition=~(Q(kind="bargain") | Q(reward_kind="product")) | Q(product__isnull=False),
                name="referral_assist_product_present",
                violation_error_code="product",
                violation_error_message=_("A bargain, or an assist paid in a product, needs a product."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AssistTask(models.Model):
    """One user's run at a campaign: open until its helpers are in (completed) or its time is up (expired).

    `progress` counts helpers (a new user may count two); for a bargain, `current_price` falls
    with each help and the task is `redeemed` once bought.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        COMPLETED = "completed", _("completed")
        REDEEMED = "redeemed", _("redeemed")
        EXPIRED = "expired", _("expired")

    campaign = models.ForeignKey(
        AssistCampaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="tasks"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="assist_tasks"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    required = models.PositiveSmallIntegerField(_("helpers required"))
    progress = models.PositiveSmallIntegerField(_("helpers counted"), default=0)
    start_price = models.PositiveIntegerField(_("starting price"), default=0)
    floor_price = models.PositiveIntegerField(_("floor price"), default=0)
    current_price = models.PositiveIntegerField(_("current price"), default=0)
    # The cut parameters, frozen when the task starts: an operator editing the campaign changes
    # the tasks started afterwards, never the cuts of one already running.
    cut_seed = models.CharField(_("cut seed"), max_length=100, blank=True, default="")
    new_user_weight = models.PositiveSmallIntegerField(_("weight of a new helper"), default=1)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    order = models.OneToOneField(
        "mall.Order", verbose_name=_("order"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reward_transaction = models.OneToOneField(
        "points.Transaction",
        verbose_name=_("reward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "referral_assisttask"  # the table kept its name when the play left referral
        verbose_name = _("assist task")
        verbose_name_plural = _("assist tasks")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=F("required")), name="referral_assist_not_overhelped"),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(progress=F("required")),
                name="referral_assist_completed_is_full",
            ),
            models.CheckConstraint(
                condition=Q(current_price__gte=F("floor_price")) & Q(current_price__lte=F("start_price")),
                name="referral_assist_price_between_floor_and_start",
            ),
            # One open task per user and campaign: a second tap on "start" finds the first.
            models.UniqueConstraint(
                fields=["campaign", "user"], condition=Q(status="open"), name="referral_assist_one_open_task"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="referral_assist_open_due")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.campaign}"

    @property
    def scene(self) -> str:
        return f"a={self.pk}"


class AssistHelp(models.Model):
    """One friend's help: counted `weight` times, cutting `cut` points off a bargain."""

    task = models.ForeignKey(AssistTask, verbose_name=_("task"), on_delete=models.PROTECT, related_name="helps")
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("helper"), on_delete=models.PROTECT, related_name="assist_helps"
    )
    # The task's starter, copied so the database itself refuses a self-help.
    starter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(AssistCampaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveSmallIntegerField(_("counted as"), default=1)
    cut = models.PositiveIntegerField(_("price cut"), default=0)
    local_date = models.DateField(_("local date"))
    referral = models.ForeignKey(
        "referral.Referral",
        verbose_name=_("binding made by this help"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("helped at"), auto_now_add=True)

    class Meta:
        db_table = "referral_assisthelp"  # the table kept its name when the play left referral
        verbose_name = _("assist help")
        verbose_name_plural = _("assist helps")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "helper"], name="referral_assist_help_once"),
            models.CheckConstraint(condition=~Q(helper=F("starter")), name="referral_assist_no_self_help"),
            models.CheckConstraint(condition=Q(weight__gte=1) & Q(weight__lte=2), name="referral_assist_weight_range"),
        ]
        indexes = [models.Index(fields=["helper", "campaign", "local_date"], name="referral_assist_helper_day")]

    def __str__(self) -> str:
        return f"{self.helper} -> #{self.task_id}"
