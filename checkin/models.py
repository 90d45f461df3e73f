"""Check-in challenges: challenges, their rounds, entries (a stake in a round), check-ins, the
settlement of each round, per-user standings (winnings and streaks, for the leaderboards) and
subscribe-message credits (for reminders).

Points never live here: stakes, bonuses, payouts and refunds are ledger transactions
(points.services.ledger). These tables record who is in which round and what was decided.
"""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields


def default_timezone() -> str:
    return settings.TIME_ZONE


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(zone)s"), params={"zone": value}) from exc


VISIT_HAS_NO_MAKEUP = _("A challenge checked in by visits has no makeup check-ins: a visit cannot be made up.")


class Challenge(ConstraintErrorsOnFields, models.Model):
    class Kind(models.TextChoices):
        DAILY = "daily", _("daily (a new round every day)")
        MULTI_DAY = "multi_day", _("multi-day (one round of several days)")

    class SplitRule(models.TextChoices):
        PROPORTIONAL = "proportional", _("proportional to stake")
        EQUAL = "equal", _("equal shares")

    class NoWinnerRule(models.TextChoices):
        REFUND = "refund", _("refund every stake")
        ROLLOVER = "rollover", _("roll the pool into the next round")

    class CheckinBy(models.TextChoices):
        APP = "app", _("in the app (the member taps check-in)")
        VISIT = "visit", _("a visit verified by store staff (到店打卡)")

    title = models.CharField(_("title"), max_length=100)
    cover_url = models.CharField(_("cover image URL"), max_length=500, blank=True)
    rules_text = models.TextField(
        _("rules text"), blank=True, help_text=_("Shown to users on the challenge page: how it works, in plain words.")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.DAILY)
    checkin_by = models.CharField(
        _("check-in by"),
        max_length=8,
        choices=CheckinBy.choices,
        default=CheckinBy.APP,
        db_default=CheckinBy.APP,
        help_text=_(
            "A visit: staff scan the member's code at the front desk, and the visit counts as the day's check-in "
            "(one a day, within the window). The member cannot check in from the app, and makeup is off."
        ),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
        help_text=_("Days, windows and cutoffs are read in this zone, for example Asia/Shanghai."),
    )
    day_cutoff = models.TimeField(
        _("day cutoff"),
        default=dt.time(0, 0),
        help_text=_(
            "When a new business day starts. 04:00 lets a check-in at 01:00 count for the day before. Default 00:00."
        ),
    )
    window_start = models.TimeField(
        _("check-in window opens"), help_text=_("Local time at which check-ins start to count each day.")
    )
    window_end = models.TimeField(
        _("check-in window closes"),
        help_text=_(
            "Last minute in which a check-in counts (09:00 means until 09:00:59). A time before the day cutoff "
            "belongs to the next calendar day."
        ),
    )
    stake_min = models.BigIntegerField(_("minimum stake"), default=10)
    stake_max = models.BigIntegerField(
        _("maximum stake"), default=100, help_text=_("Equal to the minimum for a fixed stake.")
    )
    bonus = models.BigIntegerField(
        _("bonus per round"),
        default=0,
        help_text=_("Points the operator adds to each round's pool (issued when the first participant joins)."),
    )
    max_participants = models.PositiveIntegerField(
        _("maximum participants per round"), default=0, help_text=_("0 means no limit.")
    )
    split_rule = models.CharField(
        _("split rule"),
        max_length=16,
        choices=SplitRule.choices,
        default=SplitRule.PROPORTIONAL,
        help_text=_(
            "Winners always get their stake back; the rest of the pool is shared in proportion to stakes "
            "or in equal shares."
        ),
    )
    no_winner_rule = models.CharField(
        _("when nobody wins"), max_length=16, choices=NoWinnerRule.choices, default=NoWinnerRule.REFUND
    )
    start_date = models.DateField(
        _("first day"),
        null=True,
        blank=True,
        help_text=_(
            "Multi-day: the first check-in day of the first round (required). Daily: the first check-in day (optional)."
        ),
    )
    duration_days = models.PositiveSmallIntegerField(
        _("days per round"), default=1, help_text=_("Multi-day only, for example 21. Daily rounds last one day.")
    )
    required_days = models.PositiveSmallIntegerField(
        _("required check-in days"),
        default=1,
        help_text=_("Multi-day only: check-ins needed to win, for example 18 of 21."),
    )
    repeat = models.BooleanField(
        _("repeat rounds"),
        default=True,
        help_text=_("Multi-day only: a new round starts the day after the previous one ends."),
    )
    makeup_limit = models.PositiveSmallIntegerField(
        _("makeup check-ins per entry"),
        default=0,
        help_text=_("Multi-day only: how many missed days a participant may make up. 0 turns makeup off."),
    )
    makeup_cost = models.BigIntegerField(_("makeup check-in cost (points)"), default=0)
    reminder_template_id = models.CharField(
        _("reminder template ID"),
        max_length=64,
        blank=True,
        help_text=_(
            "WeChat subscribe-message template for the morning reminder. Empty: no reminders. The template "
            "receives thing1 (challenge title) and time2 (window)."
        ),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive challenges accept no new entries.")
    )
    sort_order = models.IntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stake_min__gt=0),
                name="checkin_challenge_stake_min_positive",
                violation_error_code="stake_min",
                violation_error_message=_("The smallest stake must be at least 1 point."),
            ),
            models.CheckConstraint(
                condition=Q(stake_max__gte=models.F("stake_min")),
                name="checkin_challenge_stake_range",
                violation_error_code="stake_max",
                violation_error_message=_("The largest stake cannot be below the smallest."),
            ),
            models.CheckConstraint(
                condition=Q(bonus__gte=0),
                name="checkin_challenge_bonus_not_negative",
                violation_error_code="bonus",
                violation_error_message=_("The bonus cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(makeup_cost__gte=0),
                name="checkin_challenge_makeup_cost",
                violation_error_code="makeup_cost",
                violation_error_message=_("The makeup cost cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(required_days__gte=1) & Q(required_days__lte=models.F("duration_days")),
                name="checkin_challenge_required_days_range",
                violation_error_code="required_days",
                violation_error_message=_("Required days must be between 1 and the challenge's duration."),
            ),
            models.CheckConstraint(
                condition=Q(kind="daily", duration_days=1, required_days=1)
                | Q(kind="multi_day", start_date__isnull=False),
                name="checkin_challenge_kind_fields",
                violation_error_code="kind",
                violation_error_message=_(
                    "A daily challenge lasts 1 day and requires 1 check-in; a multi-day challenge needs a start date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(checkin_by="app") | Q(makeup_limit=0),
                name="checkin_challenge_visit_no_makeup",
                violation_error_code="makeup_limit",
                violation_error_message=VISIT_HAS_NO_MAKEUP,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def clean(self) -> None:
        from checkin.rules import window_offsets

        errors = {}
        if self.kind == self.Kind.MULTI_DAY and self.start_date is None:
            errors["start_date"] = _("A multi-day challenge needs its first day.")
        if self.kind == self.Kind.DAILY:
            self.duration_days = 1
            self.required_days = 1
        elif self.required_days > self.duration_days:
            errors["required_days"] = _("Cannot require more days than the round has.")
        if self.checkin_by == self.CheckinBy.VISIT and self.makeup_limit:
            errors["makeup_limit"] = VISIT_HAS_NO_MAKEUP
        if self.stake_min is not None and self.stake_max is not None and self.stake_max < self.stake_min:
            errors["stake_max"] = _("The maximum stake is below the minimum.")
        if self.window_start and self.window_end and self.day_cutoff is not None:
            opens, closes = window_offsets(self.day_cutoff, self.window_start, self.window_end)
            if closes <= opens:
                errors["window_end"] = _("The window must close after it opens, within one business day.")
        if errors:
            raise ValidationError(errors)


class Round(ConstraintErrorsOnFields, models.Model):
    """One round of a challenge: its check-in days and, snapshotted at creation, its rules."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SETTLING = "settling", _("settling")
        SETTLED = "settled", _("settled")
        CANCELLED = "cancelled", _("cancelled")

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.PROTECT, related_name="rounds"
    )
    start_date = models.DateField(_("first check-in day"))
    end_date = models.DateField(_("last check-in day"))
    required_days = models.PositiveSmallIntegerField(_("required check-in days"))
    bonus = models.BigIntegerField(_("bonus"), default=0)
    split_rule = models.CharField(_("split rule"), max_length=16, choices=Challenge.SplitRule.choices)
    no_winner_rule = models.CharField(_("when nobody wins"), max_length=16, choices=Challenge.NoWinnerRule.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    stake_total = models.BigIntegerField(_("stakes"), default=0)
    bonus_posted = models.BooleanField(_("bonus issued"), default=False)
    rollover_in = models.BigIntegerField(_("rolled over from earlier rounds"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "start_date"], name="checkin_round_one_per_start"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="checkin_round_dates",
                violation_error_code="end_date",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(stake_total__gte=0),
                name="checkin_round_stake_total",
                violation_error_code="stake_total",
                violation_error_message=_("The stake total cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(rollover_in__gte=0),
                name="checkin_round_rollover_in",
                violation_error_code="rollover_in",
                violation_error_message=_("The rolled-over amount cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["status", "end_date"], name="checkin_round_due")]

    def __str__(self) -> str:
        if self.start_date == self.end_date:
            return f"{self.challenge} {self.start_date}"
        return f"{self.challenge} {self.start_date}~{self.end_date}"

    @property
    def pool(self) -> int:
        """Stakes plus the operator's bonus plus what rolled in: what the pool holds before settlement."""
        return self.stake_total + self.bonus + self.rollover_in

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class Entry(models.Model):
    """A user's stake in a round."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        WON = "won", _("won")
        LOST = "lost", _("lost")
        REFUNDED = "refunded", _("refunded")

    # No single-column indexes of their own: (round, id) and (user, -id) below serve those lookups,
    # and every index is one more write per new entry.
    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="checkin_entries",
        db_index=False,
    )
    stake = models.BigIntegerField(_("stake"))
    stake_txn = models.ForeignKey(
        "points.Transaction",
        verbose_name=_("stake transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    checkins = models.PositiveSmallIntegerField(_("check-ins"), default=0)
    makeups_used = models.PositiveSmallIntegerField(_("makeup check-ins used"), default=0)
    qualified_at = models.DateTimeField(
        _("qualified at"), null=True, blank=True, help_text=_("When the entry reached the required check-ins.")
    )
    payout = models.BigIntegerField(
        _("payout"), null=True, blank=True, help_text=_("Decided at settlement: a winner's share or a refund.")
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    joined_date = models.DateField(_("joined on"), help_text=_("Business day on which the user joined."))
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="checkin_entry_one_per_user_per_round"),
            models.CheckConstraint(condition=Q(stake__gt=0), name="checkin_entry_stake_positive"),
            models.CheckConstraint(
                condition=Q(payout__isnull=True) | Q(payout__gte=0), name="checkin_entry_payout_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(payout__isnull=False), name="checkin_entry_paid_has_payout"
            ),
        ]
        indexes = [
            # A round's entries in id order: settlement pays them in batches along it. No index
            # names a column that a check-in, the decision or the payment changes (checkins,
            # qualified_at, status, payout, paid_at), so those updates are HOT (no index writes),
            # given the free space the table's fillfactor leaves (migration 0003).
            models.Index(fields=["round", "id"], name="checkin_entry_round_order"),
            models.Index(fields=["user", "-id"], name="checkin_entry_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.round}"


class CheckIn(models.Model):
    entry = models.ForeignKey(Entry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="checkin_set")
    # Denormalised for the boards: the user and challenge of the entry.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="checkin_checkins"
    )
    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.PROTECT, related_name="checkins"
    )
    local_date = models.DateField(_("business day"))
    checked_in_at = models.DateTimeField(_("checked in at"))
    makeup = models.BooleanField(_("makeup"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    image_url = models.CharField(_("image URL"), max_length=500, blank=True)
    makeup_txn = models.ForeignKey(
        "points.Transaction",
        verbose_name=_("makeup payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(fields=["entry", "local_date"], name="checkin_checkin_one_per_entry_per_day"),
            models.UniqueConstraint(
                fields=["challenge", "user", "local_date"], name="checkin_checkin_one_per_user_per_challenge_day"
            ),
        ]
        indexes = [
            models.Index(fields=["challenge", "local_date", "checked_in_at"], name="checkin_checkin_early"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.local_date}"


class Visit(models.Model):
    """A member's visit to a store, recorded by staff who scanned the member's code at the desk:
    one a day per member. It is the check-in of the member's attendance challenges that day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT, related_name="visits"
    )
    store = models.ForeignKey("mall.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="visits")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    local_date = models.DateField(_("date"))
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("store visit")
        verbose_name_plural = _("store visits")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "local_date"], name="checkin_visit_one_per_day")]
        indexes = [models.Index(fields=["store", "local_date"], name="checkin_visit_store_day")]

    def __str__(self) -> str:
        return f"{self.user} · {self.store} · {self.local_date}"


class Settlement(models.Model):
    """The decision for one round, written once, then paid out in batches until done."""

    class State(models.TextChoices):
        PAYING = "paying", _("paying")
        DONE = "done", _("done")

    class Outcome(models.TextChoices):
        PAID = "paid", _("winners paid")
        REFUNDED = "refunded", _("nobody won: stakes refunded")
        ROLLED_OVER = "rolled_over", _("nobody won: pool rolled over")
        CANCELLED = "cancelled", _("round cancelled: stakes refunded")
        EMPTY = "empty", _("nothing to settle")

    round = models.OneToOneField(Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="settlement")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PAYING)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    pool = models.BigIntegerField(_("pool"))
    participants = models.PositiveIntegerField(_("participants"), default=0)
    winners = models.PositiveIntegerField(_("winners"), default=0)
    winners_stake = models.BigIntegerField(_("winners' stakes"), default=0)
    paid_total = models.BigIntegerField(
        _("paid to users"), default=0, help_text=_("Payouts or refunds decided for participants.")
    )
    returned_total = models.BigIntegerField(
        _("returned to issuance"), default=0, help_text=_("Bonus and rolled-in points given back when nobody won.")
    )
    rollover_total = models.BigIntegerField(_("rolled into the next round"), default=0)
    rollover_to = models.ForeignKey(
        Round,
        verbose_name=_("rolled into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rollovers_in",
    )
    batches = models.PositiveIntegerField(_("batches"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.CheckConstraint(
                condition=Q(pool=models.F("paid_total") + models.F("returned_total") + models.F("rollover_total")),
                name="checkin_settlement_pool_accounted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.get_outcome_display()}"


class Standing(models.Model):
    """A user's totals in one challenge, and the leaderboard scores derived from them.

    A score packs the value and the time it was reached into one integer (see checkin.rules.board_score),
    so that equal values rank whoever got there first higher, in the database and in Redis alike.
    """

    challenge = models.ForeignKey(  # indexed first in the unique (challenge, user)
        Challenge, verbose_name=_("challenge"), on_delete=models.PROTECT, related_name="standings", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="checkin_standings"
    )
    winnings = models.BigIntegerField(_("winnings"), default=0)
    winnings_at = models.DateTimeField(_("winnings reached at"), null=True, blank=True)
    winnings_score = models.BigIntegerField(_("winnings score"), default=0)
    streak = models.PositiveIntegerField(_("current streak"), default=0)
    best_streak = models.PositiveIntegerField(_("best streak"), default=0)
    streak_date = models.DateField(_("last streak day"), null=True, blank=True)
    streak_at = models.DateTimeField(_("streak reached at"), null=True, blank=True)
    streak_score = models.BigIntegerField(_("streak score"), default=0)

    class Meta:
        verbose_name = _("standing")
        verbose_name_plural = _("standings")
        constraints = [
            models.UniqueConstraint(fields=["challenge", "user"], name="checkin_standing_one_per_user"),
        ]
        indexes = [
            models.Index(fields=["challenge", "-winnings_score", "user"], name="checkin_standing_winnings"),
            models.Index(fields=["challenge", "-streak_score", "user"], name="checkin_standing_streak"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.challenge}"


class SubscribeCredit(models.Model):
    """One-time subscribe-message credits: each time a user accepts a template in the mini-program,
    the server may send that template once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="subscribe_credits"
    )
    template_id = models.CharField(_("template ID"), max_length=64)
    credits = models.PositiveIntegerField(_("credits left"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscribe-message credit")
        verbose_name_plural = _("subscribe-message credits")
        constraints = [
            models.UniqueConstraint(fields=["user", "template_id"], name="checkin_subscribe_credit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.credits}"


class Reminder(models.Model):
    """A reminder sent (or being sent) to a user on one local day: at most one per user per day."""

    class Status(models.TextChoices):
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="checkin_reminders"
    )
    local_date = models.DateField(_("day"))
    challenge = models.ForeignKey(Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="+")
    template_id = models.CharField(_("template ID"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SENDING)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="checkin_reminder_once_per_user_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.local_date} · {self.status}"
