"""Lottery (抽奖): a wheel (大转盘) or a nine-grid (九宫格) of weighted prizes, and the draws users make."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields


class Lottery(ConstraintErrorsOnFields, models.Model):
    """A lottery operators configure: what a draw costs, how many a user has a day, and its prizes.

    Each local day a user has `free_draws_per_day` free draws, plus the extra free draws earned that
    day (a sign-in, each completed points task, each qualified invite); after them a draw costs
    `cost` points (a free lottery, cost 0, allows the free draws only). `daily_limit` caps all
    draws of a day, earned ones included.
    """

    class Kind(models.TextChoices):
        WHEEL = "wheel", _("wheel (大转盘)")
        GRID = "grid", _("nine-grid (九宫格)")

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WHEEL)
    cost = models.PositiveIntegerField(
        _("cost per draw (points)"), default=0, help_text=_("Points a draw costs after the free ones (0 = free only).")
    )
    free_draws_per_day = models.PositiveSmallIntegerField(_("free draws per day"), default=1)
    extra_draws_per_signin = models.PositiveSmallIntegerField(
        _("extra draws for signing in"), default=0, help_text=_("Free draws the day's sign-in adds.")
    )
    extra_draws_per_task = models.PositiveSmallIntegerField(
        _("extra draws per completed task"),
        default=0,
        help_text=_("Free draws each points task completed that day adds."),
    )
    extra_draws_per_invite = models.PositiveSmallIntegerField(
        _("extra draws per qualified invite"),
        default=0,
        help_text=_("Free draws each friend who qualified that day adds."),
    )
    daily_limit = models.PositiveSmallIntegerField(
        _("draws per user per day"), default=3, help_text=_("All draws of a day, free, earned and paid.")
    )
    tags = models.ManyToManyField(
        "core.Tag",
        verbose_name=_("tags required"),
        blank=True,
        related_name="+",
        help_text=_(
            "Only members carrying at least one of these tags see it and may draw (empty: everyone). "
            "Members without them do not see it in the list."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("open from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("open until"), null=True, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lottery")
        verbose_name_plural = _("lotteries")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_limit__gte=1),
                name="campaigns_lottery_daily_limit_positive",
                violation_error_code="daily_limit",
                violation_error_message=_("Draws per day must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LotteryPrize(ConstraintErrorsOnFields, models.Model):
    """One segment of the wheel or cell of the grid: points, a mall product (a voucher order) or
    nothing (谢谢参与), drawn with probability weight / sum of weights while it has stock."""

    class Kind(models.TextChoices):
        POINTS = "points", _("points")
        PRODUCT = "product", _("mall product")
        NONE = "none", _("nothing (thanks for taking part)")

    lottery = models.ForeignKey(Lottery, verbose_name=_("lottery"), on_delete=models.CASCADE, related_name="prizes")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.POINTS)
    points = models.PositiveIntegerField(_("points"), default=0)
    product = models.ForeignKey(
        "mall.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A voucher or coupon product: the winner gets an order and its code."),
    )
    weight = models.PositiveIntegerField(_("weight"), default=1)
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Prizes left to win (empty = no limit).")
    )
    sort_order = models.IntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("lottery prize")
        verbose_name_plural = _("lottery prizes")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="points") | Q(points__gt=0),
                name="campaigns_lottery_prize_points_positive",
                violation_error_code="points",
                violation_error_message=_("A points prize needs points above 0."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="product") | Q(product__isnull=False),
                name="campaigns_lottery_prize_product_present",
                violation_error_code="product",
                violation_error_message=_("A product prize needs a product."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LotteryDraw(models.Model):
    """One draw, written once: what it cost, what it won, and the odds and stock in force (`odds`),
    so an operator can show how any draw was decided."""

    lottery = models.ForeignKey(Lottery, verbose_name=_("lottery"), on_delete=models.PROTECT, related_name="draws")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="lottery_draws"
    )
    prize = models.ForeignKey(
        LotteryPrize, verbose_name=_("prize"), on_delete=models.PROTECT, null=True, blank=True, related_name="draws"
    )
    # Copied from the prize, so editing it never changes what a draw won (a prize once drawn
    # cannot be deleted: set its weight to 0).
    prize_kind = models.CharField(_("prize kind"), max_length=16, default=LotteryPrize.Kind.NONE)
    prize_name = models.CharField(_("prize name"), max_length=100, blank=True, default="")
    points_won = models.PositiveIntegerField(_("points won"), default=0)
    free = models.BooleanField(_("free draw"), default=True)
    cost = models.PositiveIntegerField(_("points paid"), default=0)
    local_date = models.DateField(_("local date"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True, default="")
    odds = models.JSONField(_("odds and stock at the draw"), default=dict)
    cost_transaction = models.OneToOneField(
        "points.Transaction",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    prize_transaction = models.OneToOneField(
        "points.Transaction",
        verbose_name=_("points prize"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    order = models.OneToOneField(
        "mall.Order", verbose_name=_("order"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lottery draw")
        verbose_name_plural = _("lottery draws")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lottery", "user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="campaigns_lottery_draw_key_once",
            ),
            models.CheckConstraint(
                condition=~Q(free=True) | Q(cost=0), name="campaigns_lottery_free_draw_costs_nothing"
            ),
        ]
        indexes = [models.Index(fields=["lottery", "user", "local_date"], name="campaigns_lottery_user_day")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.lottery}"
