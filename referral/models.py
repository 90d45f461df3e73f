"""Referral: codes, attribution, scans, channels, reward rules, rewards, distribution commissions
(分销) and poster templates.

Attribution lives here, not on core.User: every user has one ReferralProfile (their own code and
the channel they came through) and, when someone invited them, one Referral (inviter, status).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields

# Crockford's base32: no I, L, O or U, so nothing reads as something else.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 7
# WeChat's scene: at most 32 visible characters from this set.
SCENE_MAX_LENGTH = 32
SCENE_ALLOWED = r"0-9A-Za-z!#$&'()*+,/:;=?@\-._~"

channel_code_validator = RegexValidator(
    r"^[0-9A-Z][0-9A-Z-]{1,23}$",
    _("2 to 24 characters: capital letters, digits and hyphens, starting with a letter or digit."),
)
text_color_validator = RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("A colour such as #1A1A1A."))
mini_program_path_validator = RegexValidator(
    r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$", _("A page path such as pages/index/index (no leading slash).")
)


class ReferralConfig(models.Model):
    """One row: the anti-fraud settings operators edit."""

    velocity_limit_per_hour = models.PositiveIntegerField(
        _("qualifications per inviter per hour"),
        default=5,
        help_text=_("Beyond this many in one hour, an inviter's new rewards are held for review (0 = no limit)."),
    )
    flag_min_invitees = models.PositiveIntegerField(
        _("invitees before flagging"),
        default=5,
        help_text=_("Flag an inviter when at least this many invitees never became active."),
    )
    flag_after_days = models.PositiveIntegerField(
        _("days to become active"),
        default=7,
        help_text=_("An invitee who has not verified a phone this many days after joining counts as inactive."),
    )
    # What the share landing page (/r/<code>) shows of the clinic, and where its button opens.
    clinic_name = models.CharField(
        _("clinic name"), max_length=60, blank=True, help_text=_("Shown at the top of the invitation page.")
    )
    clinic_logo = models.ImageField(
        _("clinic logo"),
        upload_to="referral/branding/",
        blank=True,
        help_text=_("A square image; shown at the top of the invitation page. Wins over the logo URL."),
    )
    clinic_logo_url = models.URLField(_("clinic logo URL"), max_length=500, blank=True)
    landing_page_path = models.CharField(
        _("mini-program page"),
        max_length=200,
        default="pages/index/index",
        validators=[mini_program_path_validator],
        help_text=_(
            "The page the invitation page's button opens, without a leading slash; it receives the "
            "invitation as r=<code> (a channel as c=<code>)."
        ),
    )

    class Meta:
        verbose_name = _("referral settings")
        verbose_name_plural = _("referral settings")

    def __str__(self) -> str:
        return str(_("referral settings"))


class Channel(models.Model):
    """An offline source of users: a doctor, a front desk, an event. Scene `c=<code>`."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("staff member")
        FRONT_DESK = "front_desk", _("front desk")
        EVENT = "event", _("event")
        OTHER = "other", _("other")

    code = models.CharField(_("code"), max_length=24, unique=True, validators=[channel_code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral_channels",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def scene(self) -> str:
        return f"c={self.code}"


class FlagReason(models.TextChoices):
    NONE = "", _("none")
    INACTIVE_INVITEES = "inactive_invitees", _("invitees never became active")
    STAFF = "staff", _("flagged by staff")


class ReferralProfile(models.Model):
    """A user's own referral code, and how they arrived (channel, first scan)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="referral_profile"
    )
    code = models.CharField(_("referral code"), max_length=16, unique=True)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profiles",
    )
    first_scan = models.ForeignKey(
        "Scan", verbose_name=_("first scan"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Counters of this user as an inviter, changed by conditional UPDATEs under the profile's lock.
    qualified_count = models.PositiveIntegerField(_("qualified invites"), default=0)
    last_qualified_at = models.DateTimeField(_("last qualified at"), null=True, blank=True)
    flagged = models.BooleanField(
        _("flagged"), default=False, help_text=_("A flagged inviter's new rewards wait in the review queue.")
    )
    flag_reason = models.CharField(_("flag reason"), max_length=32, choices=FlagReason.choices, blank=True)
    flagged_at = models.DateTimeField(_("flagged at"), null=True, blank=True)
    # When staff last cleared a flag: the nightly check looks only at invitees who joined after it.
    flag_reviewed_at = models.DateTimeField(_("flag reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral profile")
        verbose_name_plural = _("referral profiles")
        indexes = [
            models.Index(
                F("qualified_count").desc(),
                F("last_qualified_at").asc(),
                "user",
                condition=Q(qualified_count__gt=0),
                name="referral_profile_board",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def scene(self) -> str:
        return f"r={self.code}"


class Scan(models.Model):
    """Someone opened a share link (`/r/<code>`) or logged in with a scene."""

    class Source(models.TextChoices):
        LANDING = "landing", _("landing page")
        LOGIN = "login", _("mini-program login")

    code = models.CharField(_("code"), max_length=24, db_index=True)
    profile = models.ForeignKey(
        ReferralProfile, verbose_name=_("inviter"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, null=True, blank=True, related_name="scans"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.LANDING)
    user_agent_hash = models.CharField(_("user agent hash"), max_length=64, blank=True)
    # The user this scan was attributed to at registration (a landing scan is claimed once).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    scanned_at = models.DateTimeField(_("scanned at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        constraints = [
            models.CheckConstraint(
                condition=Q(profile__isnull=True) | Q(channel__isnull=True), name="referral_scan_profile_or_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.scanned_at:%Y-%m-%d %H:%M}"


class ShareOpen(models.Model):
    """A distinct friend opened a member's share: the first landing-page visit of a browser (its
    address and user agent) to the code, or a new user bound by it. Each friend counts once per
    sharer, ever (the constraint); each counted open completes the sharer's `share_opened` task."""

    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sharer"), on_delete=models.CASCADE, related_name="+"
    )
    # "user:<id>" for a bound new user, "client:<hash>" for a browser on the landing page
    friend = models.CharField(_("friend"), max_length=80)
    source = models.CharField(_("source"), max_length=16, choices=Scan.Source.choices)
    scan = models.ForeignKey(
        Scan, verbose_name=_("scan"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("share open")
        verbose_name_plural = _("share opens")
        constraints = [models.UniqueConstraint(fields=["sharer", "friend"], name="referral_share_open_once")]

    def __str__(self) -> str:
        return f"{self.sharer_id} · {self.friend}"


class Referral(models.Model):
    """One invitee bound to one inviter, first touch, for good."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered")
        QUALIFIED = "qualified", _("qualified")
        HELD = "held", _("held for review")
        REJECTED = "rejected", _("rejected")
        REVOKED = "revoked", _("revoked")

    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inviter"), on_delete=models.PROTECT, related_name="referrals_made"
    )
    invitee = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("invitee"), on_delete=models.PROTECT, related_name="referral"
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    # The phone number this referral counted with; a number counts once across accounts.
    counted_phone = models.CharField(_("counted phone"), max_length=20, null=True, blank=True, unique=True)
    qualified_at = models.DateTimeField(_("qualified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("bound at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(condition=~Q(inviter=F("invitee")), name="referral_not_self"),
        ]
        indexes = [models.Index(fields=["inviter", "-created_at"], name="referral_inviter_recent")]

    def __str__(self) -> str:
        return f"{self.inviter_id} -> {self.invitee_id}"


class RewardRule(ConstraintErrorsOnFields, models.Model):
    class Trigger(models.TextChoices):
        REGISTERED = "registered", _("registered")
        PHONE_VERIFIED = "phone_verified", _("phone verified")
        FIRST_CHECKIN = "first_checkin", _("first check-in")
        FIRST_REDEMPTION = "first_redemption", _("first redemption")
        FIRST_VISIT = "first_visit", _("first visit (confirmed by staff)")

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(
        _("trigger"), max_length=32, choices=Trigger.choices, default=Trigger.PHONE_VERIFIED, db_index=True
    )
    inviter_points = models.PositiveIntegerField(_("inviter points"), default=0)
    invitee_points = models.PositiveIntegerField(_("invitee points"), default=0)
    requires_phone = models.BooleanField(
        _("requires a verified phone"),
        default=True,
        help_text=_("The invitee must have verified a phone number, which counts once across accounts."),
    )
    qualifies = models.BooleanField(
        _("counts as a qualified invite"),
        default=True,
        help_text=_("A reward under this rule makes the friend a qualified invite (leaderboard, milestones)."),
    )
    daily_cap = models.PositiveIntegerField(
        _("daily cap per inviter"), default=0, help_text=_("Inviter rewards per local day (0 = no cap).")
    )
    lifetime_cap = models.PositiveIntegerField(
        _("lifetime cap per inviter"), default=0, help_text=_("Inviter rewards in total (0 = no cap).")
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="referral_rule_period_ordered",
                violation_error_code="ends_at",
                violation_error_message=_("The end must be after the start."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Milestone(ConstraintErrorsOnFields, models.Model):
    """A bonus for the inviter on reaching a number of qualified friends (3, 5, 10...)."""

    rule = models.ForeignKey(RewardRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="milestones")
    friends = models.PositiveIntegerField(_("qualified friends"))
    points = models.PositiveIntegerField(_("bonus points"))

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["rule", "friends"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "friends"], name="referral_milestone_unique"),
            models.CheckConstraint(
                condition=Q(friends__gt=0),
                name="referral_milestone_friends_positive",
                violation_error_code="friends",
                violation_error_message=_("The number of friends must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.friends}: +{self.points}"


class Reward(models.Model):
    """What one rule gave (or would give) for one referral. One per referral and rule."""

    class Status(models.TextChoices):
        PAID = "paid", _("paid")
        HELD = "held", _("held for review")
        REJECTED = "rejected", _("rejected")
        CLAWED_BACK = "clawed_back", _("clawed back")

    class Reason(models.TextChoices):
        NONE = "", _("none")
        VELOCITY = "velocity", _("too many invites in an hour")
        FLAGGED = "flagged", _("inviter is flagged")
        DUPLICATE_PHONE = "duplicate_phone", _("phone number already counted")
        REVIEW = "review", _("rejected by staff")
        REFUNDED = "refunded", _("the redemption it was for was refunded")

    referral = models.ForeignKey(Referral, verbose_name=_("referral"), on_delete=models.PROTECT, related_name="rewards")
    rule = models.ForeignKey(RewardRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="rewards")
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inviter"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices, blank=True, default="")
    inviter_points = models.PositiveIntegerField(_("inviter points"), default=0)
    invitee_points = models.PositiveIntegerField(_("invitee points"), default=0)
    capped = models.BooleanField(_("inviter capped"), default=False)
    inviter_clawed = models.PositiveIntegerField(_("inviter points clawed back"), default=0)
    invitee_clawed = models.PositiveIntegerField(_("invitee points clawed back"), default=0)
    local_date = models.DateField(_("local date"))
    source = models.CharField(
        _("source"), max_length=40, blank=True, default="", help_text=_("What earned it, e.g. order:12.")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")
        constraints = [models.UniqueConstraint(fields=["referral", "rule"], name="referral_reward_once_per_rule")]
        indexes = [models.Index(fields=["inviter", "rule", "local_date"], name="referral_reward_inviter_day")]

    def __str__(self) -> str:
        return f"{self.rule} / {self.referral}"


class MilestoneAward(models.Model):
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inviter"), on_delete=models.PROTECT, related_name="+"
    )
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="awards"
    )
    points = models.PositiveIntegerField(_("bonus points"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("milestone award")
        verbose_name_plural = _("milestone awards")
        constraints = [models.UniqueConstraint(fields=["inviter", "milestone"], name="referral_milestone_once")]

    def __str__(self) -> str:
        return f"{self.inviter} · {self.milestone}"


class CommissionRule(ConstraintErrorsOnFields, models.Model):
    """Distribution (分销): the inviter earns a share of each redemption their friends pay in points,
    for a number of days after the friend was bound, up to a cap per inviter and calendar month.
    Of the active rules, the newest applies (docs/commission.md)."""

    name = models.CharField(_("name"), max_length=100)
    percent = models.DecimalField(
        _("commission (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("The inviter's share of what the friend paid (5 = 5%), rounded down to a point."),
    )
    days = models.PositiveIntegerField(
        _("days after binding"),
        default=365,
        help_text=_("Only redemptions within this many days of the friend's binding earn (0 = no limit)."),
    )
    monthly_cap = models.PositiveIntegerField(
        _("monthly cap per inviter (points)"),
        default=0,
        help_text=_("At most this many commission points per inviter and calendar month (0 = no cap)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("commission rule")
        verbose_name_plural = _("commission rules")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100),
                name="referral_commission_rule_percent_range",
                violation_error_code="percent",
                # %% : Django formats a constraint's message with its name (`% {"name": ...}`).
                violation_error_message=_("The commission must be more than 0%% and at most 100%%."),
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="referral_commission_rule_period_ordered",
                violation_error_code="ends_at",
                violation_error_message=_("The end must be after the start."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Commission(models.Model):
    """What one friend's redemption earned the inviter: held until the order completes (its
    vouchers verified, or the goods received), then paid; void when the order is cancelled, or
    when the monthly cap left nothing. One per order."""

    class Status(models.TextChoices):
        HELD = "held", _("held")
        PAID = "paid", _("paid")
        VOID = "void", _("void")

    class Reason(models.TextChoices):
        NONE = "", _("none")
        CAPPED = "capped", _("monthly cap reached")
        REFUNDED = "refunded", _("the order was cancelled")

    rule = models.ForeignKey(
        CommissionRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="commissions"
    )
    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.PROTECT, related_name="commissions"
    )
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inviter"), on_delete=models.PROTECT, related_name="+"
    )
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invitee"), on_delete=models.PROTECT, related_name="+"
    )
    # The mall order's id: the mall sits above referral, so no foreign key to it.
    order = models.PositiveBigIntegerField(_("order"), unique=True)
    price = models.BigIntegerField(_("points paid"))
    amount = models.PositiveIntegerField(_("commission (points)"))
    capped = models.BooleanField(_("cut by the monthly cap"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.HELD)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, blank=True, default="")
    local_date = models.DateField(_("local date"))
    transaction = models.ForeignKey(
        "points.Transaction",
        verbose_name=_("credit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("paid or voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(transaction__isnull=False, amount__gt=0),
                name="referral_commission_paid_has_credit",
            ),
        ]
        indexes = [
            models.Index(fields=["inviter", "-created_at", "-id"], name="referral_commission_recent"),
            models.Index(fields=["inviter", "local_date"], name="referral_commission_month"),
        ]

    def __str__(self) -> str:
        return f"order {self.order} · {self.amount}"


def poster_background_upload_to(instance: "PosterTemplate", filename: str) -> str:
    import secrets

    return f"referral/templates/{secrets.token_hex(8)}.png"


class PosterTemplate(ConstraintErrorsOnFields, models.Model):
    """Where the QR code, avatar, nickname and a text line go on a background image.

    Coordinates are pixels from the top-left of the background. Without a background, a generated
    one of `width` x `height` is used. Every save bumps `version`, which retires cached posters.
    """

    name = models.CharField(_("name"), max_length=100)
    background = models.ImageField(_("background image"), upload_to=poster_background_upload_to, blank=True)
    width = models.PositiveIntegerField(_("width without a background"), default=750)
    height = models.PositiveIntegerField(_("height without a background"), default=1334)
    qr_x = models.PositiveIntegerField(_("QR left"), default=245)
    qr_y = models.PositiveIntegerField(_("QR top"), default=900)
    qr_size = models.PositiveIntegerField(_("QR size"), default=260)
    avatar_x = models.PositiveIntegerField(_("avatar left"), default=60)
    avatar_y = models.PositiveIntegerField(_("avatar top"), default=60)
    avatar_size = models.PositiveIntegerField(_("avatar size"), default=120)
    nickname_x = models.PositiveIntegerField(_("nickname left"), default=200)
    nickname_y = models.PositiveIntegerField(_("nickname top"), default=80)
    nickname_size = models.PositiveIntegerField(_("nickname font size"), default=44)
    text = models.CharField(_("text line"), max_length=100, blank=True)
    text_x = models.PositiveIntegerField(_("text left"), default=200)
    text_y = models.PositiveIntegerField(_("text top"), default=140)
    text_size = models.PositiveIntegerField(_("text font size"), default=30)
    text_color = models.CharField(_("text colour"), max_length=7, default="#1A1A1A", validators=[text_color_validator])
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("poster template")
        verbose_name_plural = _("poster templates")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="referral_one_default",
                violation_error_code="is_default",
                violation_error_message=_("Another template is already the default; untick it there first."),
            ),
            models.CheckConstraint(
                condition=Q(qr_size__gte=100) & Q(qr_size__lte=2000),
                name="referral_template_qr_size_range",
                violation_error_code="qr_size",
                violation_error_message=_("The QR size must be between 100 and 2000 pixels."),
            ),
            models.CheckConstraint(
                condition=Q(width__gte=200) & Q(width__lte=3000) & Q(height__gte=200) & Q(height__lte=4000),
                name="referral_template_size_range",
                violation_error_code="width",
                violation_error_message=_("The width must be 200 to 3000 pixels and the height 200 to 4000."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Any edit changes the poster: a new version, so cached posters are not reused.
        if self.pk is not None:
            self.version = (
                PosterTemplate.objects.filter(pk=self.pk).values_list("version", flat=True).first() or 0
            ) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", "updated_at"}
        super().save(*args, **kwargs)
