"""Red packets (拆红包, 拼手气): campaigns, the packets users open and share, and friends' opens."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields


class RedPacketCampaign(ConstraintErrorsOnFields, models.Model):
    """What a packet of this campaign pays: `amount` to the starter once `helpers_needed` friends
    have opened it, and `pool` split at random among those friends (each share at least 1).
    Nothing is reserved: every point comes from issuance at the moment it is paid."""

    title = models.CharField(_("title"), max_length=100)
    amount = models.PositiveIntegerField(
        _("starter's packet (points)"), help_text=_("Paid to the starter when enough friends have opened the packet.")
    )
    helpers_needed = models.PositiveSmallIntegerField(_("helpers needed"), default=3)
    pool = models.PositiveIntegerField(
        _("helpers' pool (points)"),
        help_text=_("Split at random among the helpers (拼手气); at least one point each."),
    )
    new_user_bonus = models.PositiveIntegerField(
        _("new-user bonus (points)"),
        default=0,
        help_text=_("Paid on top of the share to a helper who registered in the last 24 hours."),
    )
    time_limit_hours = models.PositiveIntegerField(_("time limit (hours)"), default=24)
    opens_per_day = models.PositiveSmallIntegerField(
        _("opens per user per day"),
        default=5,
        help_text=_("How many packets of this campaign one user may open in a day."),
    )
    packets_per_user = models.PositiveIntegerField(
        _("packets per user"),
        default=0,
        help_text=_("How many packets one user may start, expired ones aside (0 = no limit)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("open from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("open until"), null=True, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("red packet campaign")
        verbose_name_plural = _("red packet campaigns")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(helpers_needed__gte=1) & Q(helpers_needed__lte=100),
                name="redpacket_helpers_range",
                violation_error_code="helpers_needed",
                violation_error_message=_("Helpers needed must be between 1 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(pool__gte=F("helpers_needed")),
                name="redpacket_pool_covers_helpers",
                violation_error_code="pool",
                violation_error_message=_("The helpers' pool must give every helper at least 1 point."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=1),
                name="redpacket_amount_positive",
                violation_error_code="amount",
                violation_error_message=_("The starter's packet must be at least 1 point."),
            ),
            models.CheckConstraint(
                condition=Q(time_limit_hours__gte=1),
                name="redpacket_time_limit_positive",
                violation_error_code="time_limit_hours",
                violation_error_message=_("The time limit must be at least 1 hour."),
            ),
            models.CheckConstraint(
                condition=Q(opens_per_day__gte=1),
                name="redpacket_opens_per_day_positive",
                violation_error_code="opens_per_day",
                violation_error_message=_("Opens per day must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RedPacket(models.Model):
    """One user's packet: open until `needed` friends have opened it (paid) or its time is up
    (expired, paying the starter nothing). The terms are frozen when it starts."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PAID = "paid", _("paid")
        EXPIRED = "expired", _("expired")

    campaign = models.ForeignKey(
        RedPacketCampaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="packets"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="red_packets"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    amount = models.PositiveIntegerField(_("starter's packet (points)"))
    needed = models.PositiveSmallIntegerField(_("helpers needed"))
    pool = models.PositiveIntegerField(_("helpers' pool (points)"))
    new_user_bonus = models.PositiveIntegerField(_("new-user bonus (points)"), default=0)
    helpers = models.PositiveSmallIntegerField(_("helpers so far"), default=0)
    pool_paid = models.PositiveIntegerField(_("pool paid so far"), default=0)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reward_transaction = models.OneToOneField(
        "points.Transaction",
        verbose_name=_("starter's payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("red packet")
        verbose_name_plural = _("red packets")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(helpers__lte=F("needed")), name="redpacket_not_overfilled"),
            models.CheckConstraint(condition=Q(pool_paid__lte=F("pool")), name="redpacket_pool_not_overpaid"),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(helpers=F("needed")) & Q(pool_paid=F("pool"))),
                name="redpacket_paid_is_full",
            ),
            # One open packet per user and campaign: a second tap on "start" finds the first.
            models.UniqueConstraint(
                fields=["campaign", "user"], condition=Q(status="open"), name="redpacket_one_open_packet"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="redpacket_open_due")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.campaign}"

    @property
    def scene(self) -> str:
        return f"p={self.pk}"


class RedPacketOpen(models.Model):
    """One friend's open: their share of the pool (`position` in the draw) and any new-user bonus."""

    packet = models.ForeignKey(RedPacket, verbose_name=_("red packet"), on_delete=models.PROTECT, related_name="opens")
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="red_packet_opens"
    )
    # The packet's starter, copied so the database itself refuses opening one's own packet.
    starter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        RedPacketCampaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    amount = models.PositiveIntegerField(_("share (points)"))
    bonus = models.PositiveIntegerField(_("new-user bonus (points)"), default=0)
    local_date = models.DateField(_("local date"))
    referral = models.ForeignKey(
        "referral.Referral",
        verbose_name=_("binding made by this open"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    transaction = models.OneToOneField(
        "points.Transaction", verbose_name=_("payment"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("red packet open")
        verbose_name_plural = _("red packet opens")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["packet", "helper"], name="redpacket_open_once"),
            models.UniqueConstraint(fields=["packet", "position"], name="redpacket_open_position_once"),
            models.CheckConstraint(condition=~Q(helper=F("starter")), name="redpacket_no_self_open"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="redpacket_share_positive"),
        ]
        indexes = [models.Index(fields=["helper", "campaign", "local_date"], name="redpacket_helper_day")]

    def __str__(self) -> str:
        return f"{self.helper} -> #{self.packet_id}"
