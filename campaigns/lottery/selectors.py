"""Reads about the lottery: the lotteries open now, a user's draws left today, the published odds,
and a user's draws."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from campaigns.lottery.models import Lottery, LotteryDraw, LotteryPrize
from core.clock import local_midnight, local_today, now
from core.tags import offered_to
from points.models import Signin, TaskCompletion
from points.selectors import member_level
from referral.models import Referral


def lotteries_open(*, user=None) -> QuerySet[Lottery]:
    """Lotteries `user` may draw in now, with their prizes (and the prizes' products) in order. A
    lottery kept for tags is listed only to members carrying one of them (docs/tags.md)."""
    moment = now()
    return (
        Lottery.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=moment), Q(ends_at__isnull=True) | Q(ends_at__gt=moment))
        .filter(offered_to(user, through=Lottery.tags.through, owner_field="lottery_id"))
        .prefetch_related("prizes__product")
        .order_by("sort_order", "id")
    )


def lottery_for_draw(lottery_id: int) -> Lottery | None:
    """An active lottery as a draw needs it, in one plain read, with whether tags keep it
    (`tag_gated`, as `core.tags.with_tag_gate` reads it): the ORM took longer to build the query
    than the database to run it, on every draw (docs/benchmarks.md)."""
    return next(iter(Lottery.objects.raw(_LOTTERY_FOR_DRAW, [lottery_id])), None)


_LOTTERY_FOR_DRAW = (
    f"SELECT l.*, EXISTS (SELECT 1 FROM {Lottery.tags.through._meta.db_table} t WHERE t.lottery_id = l.id)"
    f" AS tag_gated FROM {Lottery._meta.db_table} l WHERE l.id = %s AND l.is_active"
)


def lottery_prizes(*, lottery: Lottery) -> list[LotteryPrize]:
    """The prizes as they are now (stock read fresh), in wheel order."""
    return list(LotteryPrize.objects.filter(lottery=lottery).select_related("product").order_by("sort_order", "id"))


# -- the odds -------------------------------------------------------------------------------------


def _prize_available(prize: LotteryPrize, excluded) -> bool:
    if prize.pk in excluded or prize.weight <= 0:
        return False
    if prize.stock is not None and prize.stock <= 0:
        return False
    if prize.kind == LotteryPrize.Kind.PRODUCT:
        return prize.product is not None and (prize.product.stock is None or prize.product.stock > 0)
    return True


def lottery_odds(*, prizes: list[LotteryPrize], excluded: frozenset = frozenset()) -> dict:
    """The odds in force given the prizes' stock: each available prize keeps its weight; a prize
    out of stock (its own or its product's), or `excluded` (the mall refused it to this draw),
    gives its weight to the no-prize outcome: the first `none` prize, or an implicit 谢谢参与
    (`id` null) when the lottery has none. Weights are integers; `probability` = weight / total.

    The dict is what a draw stores (`LotteryDraw.odds`) and what the API publishes."""
    total = sum(p.weight for p in prizes)
    rows = []
    redirected = 0
    for prize in prizes:
        available = _prize_available(prize, excluded)
        product_stock = prize.product.stock if prize.kind == LotteryPrize.Kind.PRODUCT and prize.product else None
        weight = prize.weight if available else 0
        if not available and prize.kind != LotteryPrize.Kind.NONE:
            redirected += prize.weight
        rows.append(
            {
                "id": prize.pk,
                "name": prize.name,
                "kind": prize.kind,
                "points": prize.points,
                "configured_weight": prize.weight,
                "stock": prize.stock,
                "product_stock": product_stock,
                "weight": weight,
            }
        )
    first_none = next((row for row in rows if row["kind"] == LotteryPrize.Kind.NONE), None)
    implicit_weight = 0
    if first_none is not None:
        first_none["weight"] = first_none["configured_weight"] + redirected
    else:
        implicit_weight = redirected
    for row in rows:
        row["probability"] = _ratio(row["weight"], total)
    return {
        "total": total,
        "prizes": rows,
        "no_prize": {"weight": implicit_weight, "probability": _ratio(implicit_weight, total)},
    }


def _ratio(weight: int, total: int) -> float:
    return round(weight / total, 6) if total else 0.0


def odds_published(odds: dict) -> list[dict]:
    """The odds as users see them (概率公示): every prize with its probability now, and 谢谢参与
    (`id` null) when stock that ran out gave its weight to it and the lottery has no such prize."""
    rows = [
        {"id": r["id"], "name": r["name"], "kind": r["kind"], "probability": r["probability"]} for r in odds["prizes"]
    ]
    if odds["no_prize"]["weight"] or not odds["total"]:
        probability = odds["no_prize"]["probability"] if odds["total"] else 1.0
        rows.append({"id": None, "name": _("Thanks for taking part"), "kind": "none", "probability": probability})
    return rows


# -- draws left -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    drawn: int  # draws made today
    free: int  # free draws today: the daily ones and those earned today
    free_left: int
    left: int  # draws the user may still make today (free first, then paid)


def lottery_extra_draws_earned(*, lottery: Lottery, user, day: dt.date) -> int:
    """Free draws earned on `day`: its sign-in (not a makeup), each points task completed, each
    invited friend who qualified. Read from the rows those actions write; nothing is recorded here."""
    extra = 0
    if lottery.extra_draws_per_signin and Signin.objects.filter(user=user, local_date=day, makeup=False).exists():
        extra += lottery.extra_draws_per_signin
    if lottery.extra_draws_per_task:
        extra += lottery.extra_draws_per_task * TaskCompletion.objects.filter(user=user, local_date=day).count()
    if lottery.extra_draws_per_invite:
        start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
        qualified = Referral.objects.filter(
            inviter=user, status=Referral.Status.QUALIFIED, qualified_at__gte=start, qualified_at__lt=end
        )
        extra += lottery.extra_draws_per_invite * qualified.count()
    return extra


def lottery_level_draws(*, user) -> int:
    """The extra free draws a day of the member's level (a privilege: docs/membership.md), in
    every lottery; the lottery's daily limit still caps all draws."""
    level = member_level(user=user)
    return level.extra_lottery_draws_per_day if level is not None else 0


def lottery_allowance(*, lottery: Lottery, user, day: dt.date | None = None) -> Allowance:
    day = day or local_today()
    counts = LotteryDraw.objects.filter(lottery=lottery, user=user, local_date=day).aggregate(
        drawn=Count("id"), free=Count("id", filter=Q(free=True))
    )
    return lottery_allowance_of(
        lottery=lottery,
        drawn=counts["drawn"],
        free_drawn=counts["free"],
        level_draws=lottery_level_draws(user=user),
        earned=lottery_extra_draws_earned(lottery=lottery, user=user, day=day),
    )


def lottery_allowance_of(*, lottery: Lottery, drawn: int, free_drawn: int, level_draws: int, earned: int) -> Allowance:
    """The allowance from today's draws (all, and the free ones), the level's extra draws and the
    draws earned today: the one rule, whoever read the counts."""
    free = lottery.free_draws_per_day + level_draws + earned
    free_left = max(0, free - free_drawn)
    left = max(0, lottery.daily_limit - drawn)
    if lottery.cost == 0:
        left = min(left, free_left)
    return Allowance(drawn=drawn, free=free, free_left=min(free_left, left), left=left)


# -- my draws -------------------------------------------------------------------------------------


def lottery_draws_of(*, user, lottery_id: int) -> QuerySet[LotteryDraw]:
    return (
        LotteryDraw.objects.filter(user=user, lottery_id=lottery_id)
        .prefetch_related("order__coupons__product")
        .order_by("-id")
    )
