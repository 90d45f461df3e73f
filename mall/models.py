"""The points mall: stores, products, orders, vouchers (核销) and stock changes.

The tables keep the names they had while the mall lived in `points` (`points_product`...): the
move to this app changed no row and no hand-tuned part of the schema.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields
from points.models import Transaction


class Store(models.Model):
    """A shop or clinic where physical goods are picked up and vouchers are verified (核销)."""

    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("store staff"),
        blank=True,
        related_name="mall_stores",
        db_table="points_store_staff",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "points_store"
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Product(ConstraintErrorsOnFields, models.Model):
    class Kind(models.TextChoices):
        PHYSICAL = "physical", _("physical goods")
        VOUCHER = "voucher", _("in-store voucher")
        COUPON = "coupon", _("coupon")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="mall/products/", blank=True)
    image_url = models.URLField(_("image URL"), max_length=500, blank=True)
    category = models.CharField(_("category"), max_length=50, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.VOUCHER)
    price = models.BigIntegerField(_("price (points)"))
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True, help_text=_("Empty means unlimited."))
    low_stock_threshold = models.PositiveIntegerField(_("low-stock threshold"), default=5)
    per_user_limit = models.PositiveIntegerField(
        _("limit per user"), default=0, help_text=_("How many one user may redeem in all (0 = no limit).")
    )
    level_required = models.ForeignKey(
        "points.Level",
        verbose_name=_("level required"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = models.ManyToManyField(
        "core.Tag",
        verbose_name=_("tags required"),
        blank=True,
        related_name="+",
        db_table="mall_product_tags",
        help_text=_(
            "Only members carrying at least one of these tags see and may redeem it (empty: everyone). "
            "Members without them do not see it in the mall."
        ),
    )
    voucher_valid_days = models.PositiveIntegerField(
        _("voucher valid for (days)"),
        default=30,
        help_text=_("Vouchers and coupons expire this many days after issue."),
    )
    cost = models.PositiveIntegerField(
        _("cost (fen)"),
        null=True,
        blank=True,
        help_text=_("What one unit costs you, in fen (1 yuan = 100 fen); empty: not known."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    starts_at = models.DateTimeField(_("on sale from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("on sale until"), null=True, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "points_product"
        verbose_name = _("mall product")
        verbose_name_plural = _("mall products")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gt=0),
                name="points_product_price_positive",
                violation_error_code="price",
                violation_error_message=_("The price must be at least 1 point."),
            ),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0),
                name="points_product_stock_gte_0",
                violation_error_code="stock",
                violation_error_message=_("Stock cannot be negative; leave it empty for unlimited."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """A redemption: created -> fulfilled -> completed, or cancelled with the points refunded."""

    class Status(models.TextChoices):
        CREATED = "created", _("created")
        FULFILLED = "fulfilled", _("fulfilled")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        AWAITING_GROUP = "awaiting_group", _("awaiting group")
        AWAITING_ASSIST = "awaiting_assist", _("awaiting helpers")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="mall_orders"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    points = models.BigIntegerField(_("points"), help_text=_("Points paid, after the level discount."))
    # The member's level discount (docs/membership.md): the list price is points + discount_points.
    discount_percent = models.PositiveSmallIntegerField(_("level discount (% off)"), default=0, db_default=0)
    discount_points = models.BigIntegerField(_("discount (points)"), default=0, db_default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CREATED)
    address = models.CharField(_("address"), max_length=300, blank=True)
    store = models.ForeignKey(
        Store, verbose_name=_("pickup store"), on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    idempotency_key = models.CharField(_("request key"), max_length=100, blank=True)
    transaction = models.ForeignKey(
        Transaction, verbose_name=_("debit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        Transaction, verbose_name=_("refund"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        db_table = "points_order"
        verbose_name = _("mall order")
        verbose_name_plural = _("mall orders")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="points_order_one_per_request_key",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="points_order_quantity_positive"),
            # Zero only for a reward (an assist paid in a product): nothing debited, nothing to refund.
            models.CheckConstraint(condition=Q(points__gte=0), name="points_order_points_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_points__gte=0) & Q(discount_percent__lte=99), name="points_order_discount_valid"
            ),
        ]
        permissions = [("fulfil_order", _("Can fulfil and cancel mall orders"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product}"

    @property
    def list_points(self) -> int:
        """The price before the member's level discount."""
        return self.points + self.discount_points


class Coupon(models.Model):
    """A voucher issued by a redemption: a code (and its QR) that store staff verify once."""

    class Status(models.TextChoices):
        UNUSED = "unused", _("unused")
        USED = "used", _("used")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="coupons")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="mall_coupons"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="coupons")
    code = models.CharField(_("code"), max_length=16, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNUSED)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, null=True, blank=True, related_name="coupons"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "points_coupon"
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="used") | Q(used_at__isnull=False), name="points_coupon_used_has_time"
            ),
        ]
        permissions = [("verify_coupon", _("Can verify vouchers in store"))]

    def __str__(self) -> str:
        return self.code


class StockLog(models.Model):
    """Every stock change an operator makes (redemptions and cancellations are their orders)."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="stock_logs")
    before = models.PositiveIntegerField(_("stock before"), null=True, blank=True)
    after = models.PositiveIntegerField(_("stock after"), null=True, blank=True)
    change = models.IntegerField(_("change"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "points_stocklog"
        verbose_name = _("stock change")
        verbose_name_plural = _("stock changes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.product} {self.before} → {self.after}"
