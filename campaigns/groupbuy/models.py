"""Group-buy (拼团): offers of a mall product to groups, the groups and their members."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields

# -- group-buy (拼团) ------------------------------------------------------------------------------


class GroupBuyOffer(ConstraintErrorsOnFields, models.Model):
    """A mall product sold to groups: when `group_size` friends join within the time limit, each
    gets the product at `price` points."""

    product = models.ForeignKey(
        "mall.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="groupbuy_offers"
    )
    group_size = models.PositiveSmallIntegerField(_("group size"), default=3)
    price = models.BigIntegerField(_("group price (points)"))
    time_limit_hours = models.PositiveIntegerField(_("time limit (hours)"), default=24)
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("open from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("open until"), null=True, blank=True)
    groups_per_user = models.PositiveIntegerField(
        _("groups per user"), default=0, help_text=_("How many groups one user may open (0 = no limit).")
    )
    total_groups = models.PositiveIntegerField(
        _("total groups"), default=0, help_text=_("How many groups may be opened in all (0 = no limit).")
    )
    new_users_only = models.BooleanField(
        _("new users only"), default=False, help_text=_("Only users without an earlier mall order may join.")
    )
    sort_order = models.IntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "referral_groupbuyoffer"  # the table kept its name when the play left referral
        verbose_name = _("group-buy offer")
        verbose_name_plural = _("group-buy offers")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(group_size__gte=2) & Q(group_size__lte=10),
                name="referral_groupbuy_size_range",
                violation_error_code="group_size",
                violation_error_message=_("A group has 2 to 10 people."),
            ),
            models.CheckConstraint(
                condition=Q(price__gt=0),
                name="referral_groupbuy_price_positive",
                violation_error_code="price",
                violation_error_message=_("The group price must be at least 1 point."),
            ),
            models.CheckConstraint(
                condition=Q(time_limit_hours__gte=1),
                name="referral_groupbuy_time_limit_positive",
                violation_error_code="time_limit_hours",
                violation_error_message=_("The time limit must be at least 1 hour."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} x{self.group_size}"


class GroupBuyGroup(models.Model):
    """One group of an offer: open until it is full (succeeded) or its deadline passes (failed)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed (refunded)")

    offer = models.ForeignKey(GroupBuyOffer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="groups")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="groupbuys_led"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    group_size = models.PositiveSmallIntegerField(_("group size"))
    price = models.BigIntegerField(_("group price (points)"))
    member_count = models.PositiveSmallIntegerField(_("members"), default=0)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "referral_groupbuygroup"  # the table kept its name when the play left referral
        verbose_name = _("group-buy group")
        verbose_name_plural = _("group-buy groups")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member_count__lte=F("group_size")), name="referral_groupbuy_group_not_overfull"
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(member_count=F("group_size")),
                name="referral_groupbuy_group_success_is_full",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="referral_groupbuy_open_due")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.offer}"

    @property
    def scene(self) -> str:
        return f"g={self.pk}"


class GroupBuyMember(models.Model):
    """One join: a mall order of the product (state awaiting_group) paid into the group's escrow."""

    group = models.ForeignKey(GroupBuyGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="groupbuy_joins"
    )
    order = models.OneToOneField(
        "mall.Order", verbose_name=_("order"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transaction = models.ForeignKey(
        "points.Transaction",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refund = models.ForeignKey(
        "points.Transaction",
        verbose_name=_("refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        db_table = "referral_groupbuymember"  # the table kept its name when the play left referral
        verbose_name = _("group-buy member")
        verbose_name_plural = _("group-buy members")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="referral_groupbuy_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in #{self.group_id}"
