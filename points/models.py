"""Points: a double-entry ledger, expiry lots, points tasks, daily sign-in, growth value and levels.

Balances change only through `points.services.ledger_post` / `ledger_post_batch`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields

# A level's discount stays below 100%, so a priced product never costs 0 points.
MAX_DISCOUNT_PERCENT = 99

# -- ledger -------------------------------------------------------------------------------------


class Account(models.Model):
    class Kind(models.TextChoices):
        USER = "user", _("user wallet")
        ISSUANCE = "issuance", _("issuance")
        SINK = "sink", _("sink")
        POOL = "pool", _("round pool")
        ESCROW = "escrow", _("group-buy escrow")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # user:<id>, issuance, sink, expired, pool:round:<id>, escrow:group:<id>
    code = models.CharField(_("code"), max_length=64, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_account",
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            # Only issuance mints, so only issuance may go below zero.
            models.CheckConstraint(
                condition=Q(kind="issuance") | Q(balance__gte=0), name="points_account_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="user", user__isnull=False) | (~Q(kind="user") & Q(user__isnull=True)),
                name="points_account_user_iff_wallet",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Transaction(models.Model):
    class Kind(models.TextChoices):
        TASK_REWARD = "task_reward", _("task reward")
        SIGNIN = "signin", _("daily sign-in")
        SIGNIN_MAKEUP = "signin_makeup", _("makeup sign-in")
        STAKE = "stake", _("challenge stake")
        BONUS = "bonus", _("pool bonus")
        PAYOUT = "payout", _("challenge payout")
        REFUND = "refund", _("refund")
        ROLLOVER = "rollover", _("pool rollover")
        MAKEUP = "checkin_makeup", _("makeup check-in")
        REFERRAL_REWARD = "referral_reward", _("referral reward")
        COMMISSION = "commission", _("distribution commission")
        REDEMPTION = "redemption", _("redemption")
        GROUPBUY = "groupbuy", _("group-buy")
        ASSIST_REWARD = "assist_reward", _("assist reward")
        LOTTERY_DRAW = "lottery_draw", _("lottery draw")
        LOTTERY_PRIZE = "lottery_prize", _("lottery prize")
        REDPACKET_SHARE = "redpacket_share", _("red packet share")
        REDPACKET_PAID = "redpacket_paid", _("red packet paid")
        QUIZ_REWARD = "quiz_reward", _("quiz reward")
        BIRTHDAY_GIFT = "birthday_gift", _("birthday gift")
        AUTOMATION = "automation", _("automation grant")
        ADMIN_ADJUST = "admin_adjust", _("manual adjustment")
        BULK_GRANT = "bulk_grant", _("bulk grant")
        EXPIRY = "expiry", _("expiry")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, db_index=True)
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    refund_of = models.ForeignKey(
        "self", verbose_name=_("refund of"), on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("points transaction")
        verbose_name_plural = _("points transactions")

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class Entry(models.Model):
    """One leg of a transaction. Append-only: never updated, never deleted."""

    # The unique (transaction, account) and the (account, -id) index serve both lookups: no
    # single-column index of their own (the most written table; each index is a write per leg).
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount = models.BigIntegerField(_("amount"))
    balance_after = models.BigIntegerField(_("balance after"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_amount_not_zero"),
            models.UniqueConstraint(fields=["transaction", "account"], name="points_entry_one_leg_per_account"),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="points_entry_account_recent")]

    def __str__(self) -> str:
        return f"{self.amount:+d} → #{self.account_id} (tx #{self.transaction_id})"


class Lot(models.Model):
    """Points credited to a wallet together, expiring together. Every wallet credit forms one,
    whatever POINTS_EXPIRY_ENABLED says, so a wallet's lots always hold exactly its balance;
    `expires_at` is fixed when the points are credited, empty (never) while expiry is off."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots")
    # No index of its own: nothing looks a lot up by its entry (a use is looked up by its entry).
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lots", db_index=False)
    amount = models.BigIntegerField(_("amount"))
    remaining = models.BigIntegerField(_("remaining"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="points_lot_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")), name="points_lot_remaining_range"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "expires_at", "id"], condition=Q(remaining__gt=0), name="points_lot_open_by_expiry"
            ),
            # The nightly job's: dated lots with points left. Lots that never expire (every credit
            # while expiry is off) stay out of it.
            models.Index(
                fields=["expires_at"],
                condition=Q(remaining__gt=0, expires_at__isnull=False),
                name="points_lot_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.amount} @ #{self.account_id}"


class LotUse(models.Model):
    """How much of a lot a debit took (positive) or a refund gave back (negative)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="uses")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lot_uses")
    amount = models.BigIntegerField(_("amount"))

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="points_lotuse_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} from lot #{self.lot_id}"


# -- points tasks -------------------------------------------------------------------------------


class PointsTask(models.Model):
    class Frequency(models.TextChoices):
        ONCE = "once", _("once")
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")
        UNLIMITED = "unlimited", _("unlimited (daily cap)")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    points = models.PositiveIntegerField(_("points"), default=0)
    growth = models.PositiveIntegerField(_("growth value"), default=0)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices, default=Frequency.ONCE)
    daily_cap = models.PositiveIntegerField(
        _("daily cap"), default=0, help_text=_("For unlimited tasks: completions per day (0 = no cap).")
    )
    client_completable = models.BooleanField(
        _("client may complete"),
        default=False,
        help_text=_("Off: only the server completes it (phone verified, first check-in, welcome...)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("points task")
        verbose_name_plural = _("points tasks")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.title


class TaskCompletion(models.Model):
    task = models.ForeignKey(PointsTask, on_delete=models.PROTECT, related_name="completions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="task_completions")
    # "once", a local date, an ISO week ("2026-W47"), or "<date>#<n>" for unlimited tasks
    period = models.CharField(_("period"), max_length=32)
    local_date = models.DateField(_("local date"))
    points = models.PositiveIntegerField(_("points"), default=0)
    growth = models.PositiveIntegerField(_("growth value"), default=0)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task completion")
        verbose_name_plural = _("task completions")
        constraints = [
            models.UniqueConstraint(fields=["task", "user", "period"], name="points_task_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.task} · {self.period}"


# -- daily sign-in ------------------------------------------------------------------------------


class SigninConfig(models.Model):
    """One row: the sign-in rules operators edit."""

    cycle_length = models.PositiveSmallIntegerField(
        _("cycle length (days)"), default=7, help_text=_("After this many streak days the reward table starts over.")
    )
    makeup_enabled = models.BooleanField(_("makeup sign-in enabled"), default=True)
    makeup_cost = models.PositiveIntegerField(_("makeup sign-in cost (points)"), default=20)
    makeup_monthly_limit = models.PositiveSmallIntegerField(_("makeup sign-ins per month"), default=2)

    class Meta:
        verbose_name = _("sign-in settings")
        verbose_name_plural = _("sign-in settings")

    def __str__(self) -> str:
        return str(_("sign-in settings"))


class SigninReward(models.Model):
    day = models.PositiveSmallIntegerField(_("streak day"), unique=True)
    points = models.PositiveIntegerField(_("points"))
    growth = models.PositiveIntegerField(_("growth value"), default=0)

    class Meta:
        verbose_name = _("sign-in reward")
        verbose_name_plural = _("sign-in rewards")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.points}"


class Signin(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signins")
    local_date = models.DateField(_("date"))
    streak = models.PositiveIntegerField(_("streak"))
    points = models.PositiveIntegerField(_("points awarded"), default=0)
    makeup = models.BooleanField(_("makeup"), default=False)
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        constraints = [models.UniqueConstraint(fields=["user", "local_date"], name="points_signin_once_per_day")]

    def __str__(self) -> str:
        return f"{self.user} · {self.local_date}"


# -- growth value and levels --------------------------------------------------------------------


class Level(ConstraintErrorsOnFields, models.Model):
    """A membership level (会员等级): reached at `threshold` growth, with its privileges (特权).

    The privileges apply where they change something (docs/membership.md "Level privileges"): the
    mall's redemption charges the discounted price, a multi-day challenge's makeup allows the
    extra cards, a lottery adds the extra free draws, the birthday gift pays once a year. The
    mall's "level required" on a product is the exclusive-products privilege."""

    name = models.CharField(_("name"), max_length=32)
    threshold = models.PositiveIntegerField(_("growth threshold"), unique=True)
    discount_percent = models.PositiveSmallIntegerField(
        _("mall discount (% off)"),
        default=0,
        db_default=0,
        validators=[MaxValueValidator(MAX_DISCOUNT_PERCENT)],
        help_text=_(
            "Percent off mall prices in points, 0-99. The points off are rounded down, so a product "
            "never costs less than 1 point."
        ),
    )
    extra_makeups_per_month = models.PositiveSmallIntegerField(
        _("extra makeup check-ins per month"),
        default=0,
        db_default=0,
        help_text=_("Makeup check-ins beyond a challenge's own limit, per calendar month, across all challenges."),
    )
    extra_lottery_draws_per_day = models.PositiveSmallIntegerField(
        _("extra lottery draws per day"),
        default=0,
        db_default=0,
        help_text=_("Free draws added to every lottery's daily free draws (its daily limit still applies)."),
    )
    birthday_gift_points = models.PositiveIntegerField(
        _("birthday gift (points)"),
        default=0,
        db_default=0,
        help_text=_("Points paid once a year on the member's birthday."),
    )

    class Meta:
        verbose_name = _("membership level")
        verbose_name_plural = _("membership levels")
        ordering = ["threshold"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__lte=MAX_DISCOUNT_PERCENT),
                name="points_level_discount_below_100",
                violation_error_code="discount_percent",
                violation_error_message=_("The discount is at most 99%: a product always costs at least 1 point."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Growth(models.Model):
    """A user's growth value: it only grows."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="growth")
    total = models.PositiveIntegerField(_("growth value"), default=0)

    class Meta:
        verbose_name = _("growth value")
        verbose_name_plural = _("growth values")

    def __str__(self) -> str:
        return f"{self.user} · {self.total}"


class GrowthEntry(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="growth_entries")
    key = models.CharField(_("source key"), max_length=200, unique=True)
    amount = models.PositiveIntegerField(_("amount"))
    local_date = models.DateField(_("date"), db_index=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("growth entry")
        verbose_name_plural = _("growth entries")

    def __str__(self) -> str:
        return f"{self.user} · {self.amount:+d} · {self.local_date}"
