"""Lottery (抽奖): a draw is one database transaction.

1. The member lock (docs/concurrency.md level 1): a user's draws are serialised, so the daily
   allowance (free, earned, paid, the daily limit) and the Idempotency-Key are checked under it.
2. No shared row is locked: draws of one lottery by different users run side by side.
3. The ledger accounts of every posting the draw may make, in one go (`ledger_lock`): the wallet,
   the sink shard (a paid draw), issuance (a lottery with a points prize); then the cost is debited.
4. The outcome: a roll of `secrets.randbelow` over the odds in force (`selectors.lottery_odds`: a
   prize out of stock gives its weight to the no-prize outcome), then the prize's own stock by a
   conditional UPDATE, and for a product the mall's `order_place` (zero points: an order and its
   voucher, taking the product's stock last). If another draw took the last unit meanwhile, or the
   mall refuses the product to this user (its stock, per-user limit or level), that prize counts
   as out of stock for this draw and the roll is made again over the odds that follow; the draw
   stores the odds and stock of the roll that decided it.
5. A points prize is credited from issuance (accounts already locked in step 3).
"""

import secrets

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from campaigns.lottery.models import Lottery, LotteryDraw, LotteryPrize
from campaigns.lottery.selectors import lottery_allowance, lottery_odds, lottery_prizes
from core.clock import local_today, window_open
from core.exceptions import ApplicationError
from core.locks import lock_members, retry_on_conflict
from core.tags import tag_refused, with_tag_gate
from events.services import event_record
from mall.services import order_place
from points.models import Transaction
from points.services.ledger import accounts_with_wallet, issuance_named, ledger_lock, ledger_post, sink_named

# Ledger transaction kinds of the lottery (points.Transaction.kind; see docs/lottery.md).
KIND_COST = Transaction.Kind.LOTTERY_DRAW
KIND_PRIZE = Transaction.Kind.LOTTERY_PRIZE

# At most this many rolls per draw: each failed one takes a prize out, so a lottery with more
# prizes than this that all run out at the same instant ends in the no-prize outcome.
MAX_ROLLS = 10


def lottery_not_found() -> ApplicationError:
    return ApplicationError("not_found", _("Not found."), 404)


def lottery_closed() -> ApplicationError:
    return ApplicationError("lottery_closed", _("This lottery is not open now."), 409)


def no_draws_left() -> ApplicationError:
    return ApplicationError("no_draws_left", _("You have no draws left today."), 409)


def lottery_tag_required() -> ApplicationError:
    return ApplicationError("tag_required", _("This lottery is for selected members only."), 403)


def lottery_tag_check(*, user, lottery: Lottery) -> None:
    """Refuse a lottery kept for tagged members (core.tags) to a member carrying none of its tags."""
    if tag_refused(user, lottery):
        raise lottery_tag_required()


def lottery_roll(odds: dict, roll: int) -> int | None:
    """The prize id (None: the implicit no-prize) that `roll`, in [0, total), lands on: the
    available prizes in order, each over its weight, then the implicit no-prize."""
    for row in odds["prizes"]:
        if roll < row["weight"]:
            return row["id"]
        roll -= row["weight"]
    return None


def _take(prize: LotteryPrize, *, user, draw: LotteryDraw) -> bool:
    """Take one unit of the prize (and grant a product) in a savepoint; False when it is gone."""
    try:
        with transaction.atomic():
            unit = LotteryPrize.objects.filter(pk=prize.pk, stock__gte=1)
            if prize.stock is not None and unit.update(stock=F("stock") - 1) != 1:
                return False
            if prize.kind == LotteryPrize.Kind.PRODUCT:
                draw.order = order_place(
                    user=user,
                    product=prize.product,
                    quantity=1,
                    points=0,
                    metadata={"lottery_draw": draw.pk},
                )
    except ApplicationError:  # the mall's out_of_stock, limit_reached, level_too_low...
        return False
    return True


@retry_on_conflict
def lottery_draw(*, user, lottery_id: int, idempotency_key: str = "") -> tuple[LotteryDraw, bool]:
    """Draw once. Returns (draw, created): the same key again returns the first draw, drawing nothing."""
    with transaction.atomic():
        lottery = with_tag_gate(Lottery.objects.filter(pk=lottery_id, is_active=True)).first()
        if lottery is None:
            raise lottery_not_found()
        lock_members(user)  # a repeat of the same key waits here, then finds the first draw
        if idempotency_key:
            existing = LotteryDraw.objects.filter(lottery=lottery, user=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        if not window_open(active=lottery.is_active, starts_at=lottery.starts_at, ends_at=lottery.ends_at):
            raise lottery_closed()
        lottery_tag_check(user=user, lottery=lottery)
        today = local_today()
        allowance = lottery_allowance(lottery=lottery, user=user, day=today)
        if allowance.left <= 0:
            raise no_draws_left()
        free = allowance.free_left > 0
        cost = 0 if free else lottery.cost

        prizes = lottery_prizes(lottery=lottery)
        systems = [sink_named(shard_of=user.pk)] if cost else []
        if any(p.kind == LotteryPrize.Kind.POINTS for p in prizes):
            systems.append(issuance_named(shard_of=user.pk))  # not one row for every draw
        accounts = accounts_with_wallet(user, *systems)
        wallet = accounts[0]
        ledger_lock(*accounts)

        draw = LotteryDraw.objects.create(
            lottery=lottery, user=user, free=free, cost=cost, local_date=today, idempotency_key=idempotency_key
        )
        if cost:
            draw.cost_transaction = ledger_post(
                kind=KIND_COST,
                key=f"lottery:cost:{draw.pk}",
                legs=[(wallet, -cost), (accounts[1], cost)],
                memo=lottery.title,
                actor=user,
                metadata={"lottery": lottery.pk, "draw": draw.pk},
            )

        excluded: set[int] = set()
        prize = None
        for attempt in range(MAX_ROLLS):
            if attempt:
                prizes = lottery_prizes(lottery=lottery)  # stock as it is now
            odds = lottery_odds(prizes=prizes, excluded=frozenset(excluded))
            roll = secrets.randbelow(odds["total"]) if odds["total"] else 0
            odds["roll"] = roll
            prize_id = lottery_roll(odds, roll) if odds["total"] else None
            prize = next((p for p in prizes if p.pk == prize_id), None)
            if prize is None or prize.kind == LotteryPrize.Kind.NONE or _take(prize, user=user, draw=draw):
                break
            excluded.add(prize.pk)
            prize = None
        odds["rolls"] = attempt + 1
        odds["excluded"] = sorted(excluded)

        if prize is not None and prize.kind == LotteryPrize.Kind.POINTS:
            draw.prize_transaction = ledger_post(
                kind=KIND_PRIZE,
                key=f"lottery:prize:{draw.pk}",
                legs=[(accounts[-1], -prize.points), (wallet, prize.points)],
                memo=f"{lottery.title} · {prize.name}",
                metadata={"lottery": lottery.pk, "draw": draw.pk, "prize": prize.pk},
            )
            draw.points_won = prize.points
        draw.odds = odds
        if prize is not None:
            draw.prize, draw.prize_kind, draw.prize_name = prize, prize.kind, prize.name
        draw.save(
            update_fields=[
                "odds",
                "prize",
                "prize_kind",
                "prize_name",
                "points_won",
                "cost_transaction",
                "prize_transaction",
                "order",
            ]
        )
        event_record(user=user, kind="drew", amount=draw.cost, ref=f"lottery:{draw.pk}")
    return draw, True
