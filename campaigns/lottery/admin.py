"""Lottery admin: lotteries and their prizes operators configure; draws written only by the draw
service, each showing the odds and stock it was decided with."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from campaigns.lottery.models import Lottery, LotteryDraw, LotteryPrize
from campaigns.lottery.selectors import lottery_odds, lottery_prizes
from core.admin_utils import ServiceWrittenAdmin
from mall.models import Product


class LotteryPrizeForm(forms.ModelForm):
    class Meta:
        model = LotteryPrize
        fields = ["sort_order", "name", "kind", "points", "product", "weight", "stock"]

    def clean(self):
        data = super().clean()
        kind, product = data.get("kind"), data.get("product")
        if kind == LotteryPrize.Kind.POINTS and not data.get("points"):
            self.add_error("points", _("A points prize needs points above 0."))
        if kind == LotteryPrize.Kind.PRODUCT:
            if product is None:
                self.add_error("product", _("Choose the product this prize grants."))
            elif product.kind not in (Product.Kind.VOUCHER, Product.Kind.COUPON):
                self.add_error("product", _("A prize product must be a voucher or a coupon (its code is the prize)."))
        return data


class LotteryPrizeInline(admin.TabularInline):
    model = LotteryPrize
    form = LotteryPrizeForm
    extra = 0
    autocomplete_fields = ("product",)


def odds_table(odds: dict):
    """The odds of a draw (or of a lottery now) as a table: weight, stock and probability of each outcome."""
    if not odds or "prizes" not in odds:
        return "-"
    rows = [
        (
            row["name"],
            row["kind"],
            row["configured_weight"],
            "∞" if row["stock"] is None else row["stock"],
            "-" if row["product_stock"] is None else row["product_stock"],
            row["weight"],
            f"{row['probability'] * 100:.4f}%",
        )
        for row in odds["prizes"]
    ]
    if odds["no_prize"]["weight"]:
        weight = odds["no_prize"]["weight"]
        rows.append(
            (_("Thanks for taking part"), "none", 0, "∞", "-", weight, f"{odds['no_prize']['probability'] * 100:.4f}%")
        )
    head = format_html(
        "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        _("prize"),
        _("kind"),
        _("configured weight"),
        _("stock"),
        _("product stock"),
        _("weight in force"),
        _("probability"),
    )
    body = format_html_join("", "<tr>" + "<td>{}</td>" * 7 + "</tr>", rows)
    footer = format_html(
        "<p>{}: {}</p>",
        _("total weight"),
        odds.get("total", 0),
    )
    if "roll" in odds:
        footer = format_html(
            "{}<p>{}: {} · {}: {} · {}: {}</p>",
            footer,
            _("roll"),
            odds["roll"],
            _("rolls"),
            odds.get("rolls", 1),
            _("prizes refused by the mall"),
            ", ".join(str(pk) for pk in odds.get("excluded", [])) or "-",
        )
    return format_html("<table>{}{}</table>{}", head, body, footer)


@admin.register(Lottery)
class LotteryAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "cost", "free_draws_per_day", "daily_limit", "is_active", "starts_at", "ends_at")
    list_filter = ("kind", "is_active")
    search_fields = ("title",)
    inlines = [LotteryPrizeInline]
    readonly_fields = ("odds_now",)
    filter_horizontal = ("tags",)
    fields = (
        "title",
        "kind",
        "cost",
        "free_draws_per_day",
        "extra_draws_per_signin",
        "extra_draws_per_task",
        "extra_draws_per_invite",
        "daily_limit",
        "tags",
        "is_active",
        "starts_at",
        "ends_at",
        "sort_order",
        "odds_now",
    )

    @admin.display(description=_("odds now (as published to users)"))
    def odds_now(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return odds_table(lottery_odds(prizes=lottery_prizes(lottery=obj)))


@admin.register(LotteryDraw)
class LotteryDrawAdmin(ServiceWrittenAdmin):
    list_display = ("id", "lottery", "user", "prize_name", "prize_kind", "points_won", "cost", "free", "created_at")
    list_filter = ("lottery", "prize_kind", "free")
    search_fields = ("user__nickname", "user__phone", "idempotency_key")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "odds_at_draw"]

    def get_fields(self, request, obj=None):
        return [field for field in self.get_readonly_fields(request, obj) if field != "odds"]

    @admin.display(description=_("odds and stock at the draw"))
    def odds_at_draw(self, obj):
        return odds_table(obj.odds)
