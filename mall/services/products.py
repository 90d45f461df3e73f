"""What may be sold: on sale, the per-user limit, the level gate, and stock edits; the refusals
the mall answers with.

Stock moves only through conditional UPDATEs, so it never goes below zero."""

import datetime as dt

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from core.clock import window_open
from core.exceptions import ApplicationError
from core.locks import require_member
from core.tags import tag_refused
from mall.models import Order, Product, StockLog
from points.models import Level
from points.selectors import growth_total


def not_on_sale() -> ApplicationError:
    return ApplicationError("not_on_sale", _("This product is not on sale."), 409)


def out_of_stock() -> ApplicationError:
    return ApplicationError("out_of_stock", _("This product is out of stock."), 409)


def limit_reached() -> ApplicationError:
    return ApplicationError("limit_reached", _("You have reached the limit for this product."), 409)


def invalid(detail) -> ApplicationError:
    return ApplicationError("invalid", detail, 400)


def product_for_sale(product_id: int) -> Product | None:
    """A product as a redemption needs it, in one unlocked read, with whether tags keep it
    (`tag_gated`, as `with_tag_gate` reads it). The stock read here only answers a sold-out
    product early; the redemption's conditional UPDATE is what takes it. Plain SQL: compiling the
    ORM's query took longer than running it, on every request of a flash sale (docs/benchmarks.md)."""
    return next(iter(Product.objects.raw(_PRODUCT_FOR_SALE, [product_id])), None)


_PRODUCT_FOR_SALE = (
    f"SELECT p.*, EXISTS (SELECT 1 FROM {Product.tags.through._meta.db_table} t WHERE t.product_id = p.id)"
    f" AS tag_gated FROM {Product._meta.db_table} p WHERE p.id = %s"
)


def product_on_sale(product: Product, *, at: dt.datetime | None = None) -> bool:
    return window_open(active=product.is_active, starts_at=product.starts_at, ends_at=product.ends_at, at=at)


def product_redeemed_quantity(*, user, product: Product) -> int:
    rows = Order.objects.filter(user=user, product=product).exclude(status=Order.Status.CANCELLED)
    return rows.aggregate(total=Sum("quantity"))["total"] or 0


def product_limit_check(*, user, product: Product, quantity: int) -> None:
    """Refuse what would take the user past the product's per-user limit (orders not cancelled count,
    whichever path placed them: the mall, a group-buy, an assist's reward). Under the member lock."""
    require_member(user)
    if (
        product.per_user_limit
        and product_redeemed_quantity(user=user, product=product) + quantity > product.per_user_limit
    ):
        raise limit_reached()


def product_level_check(*, user, level: Level | None) -> None:
    if level is not None and growth_total(user=user) < level.threshold:
        raise ApplicationError(
            "level_too_low", _("This product needs the level %(level)s.") % {"level": level.name}, 403
        )


def product_tag_check(*, user, product: Product) -> None:
    """Refuse a product kept for tagged members (core.tags) to a member carrying none of its tags.
    The answer names no tag: tags are the operators' labels, not something members see."""
    if tag_refused(user, product):
        raise ApplicationError("tag_required", _("This product is for selected members only."), 403)


def product_stock_adjust(*, product: Product, change: int, actor=None, reason: str = "") -> Product:
    """Add (or, negative, remove) stock with a conditional UPDATE, and log it."""
    if change == 0:
        return product
    with transaction.atomic():
        rows = Product.objects.filter(pk=product.pk, stock__isnull=False)
        if change < 0:
            rows = rows.filter(stock__gte=-change)
        if rows.update(stock=F("stock") + change) != 1:
            raise invalid(_("Stock cannot go below zero (or the product is unlimited)."))
        after = Product.objects.values_list("stock", flat=True).get(pk=product.pk)
        StockLog.objects.create(
            product=product, before=after - change, after=after, change=change, actor=actor, reason=reason
        )
    product.stock = after
    return product


def product_stock_set(*, product: Product, stock: int | None, actor=None, reason: str = "") -> Product:
    """Set the stock outright (None: unlimited), and log it."""
    with transaction.atomic():
        # The stock row alone (level 4), NO KEY: orders being placed for it may still refer to it.
        before = Product.objects.select_for_update(no_key=True).values_list("stock", flat=True).get(pk=product.pk)
        if before == stock:
            return product
        Product.objects.filter(pk=product.pk).update(stock=stock)
        change = (stock or 0) - (before or 0) if before is not None and stock is not None else 0
        StockLog.objects.create(product=product, before=before, after=stock, change=change, actor=actor, reason=reason)
    product.stock = stock
    return product
