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
from campaigns.lottery.selectors import (
    lottery_allowance,
    lottery_allowance_of,
    lottery_extra_draws_earned,
    lottery_for_draw,
    lottery_odds,
    lottery_prizes,
)
from core.clock import local_today, now, window_open
from core.db import fetch_prepared, on_postgresql
from core.exceptions import ApplicationError
from core.locks import lock_members, retry_on_conflict
from core.tags import tag_refused
from events.services import EVENT_INSERT_HEAD, event_record
from mall.services import order_place
from points.models import Account, Growth, Level, Transaction
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
    """Take one unit of the prize (and grant a product, in a savepoint); False when it is gone."""
    if prize.kind != LotteryPrize.Kind.PRODUCT:
        return _take_unit(prize)  # nothing here can refuse after the UPDATE: no savepoint needed
    try:
        with transaction.atomic():
            if not _take_unit(prize):
                return False
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


def _take_unit(prize: LotteryPrize) -> bool:
    """One unit of the prize's own stock (a conditional UPDATE); False when none is left."""
    if prize.stock is None:
        return True
    return LotteryPrize.objects.filter(pk=prize.pk, stock__gte=1).update(stock=F("stock") - 1) == 1


def _pay_cost(*, lottery: Lottery, user, draw_id: int, wallet, sink, cost: int) -> Transaction:
    """A paid draw's cost, wallet -> sink (accounts or their ids, already locked)."""
    return ledger_post(
        kind=KIND_COST,
        key=f"lottery:cost:{draw_id}",
        legs=[(wallet, -cost), (sink, cost)],
        memo=lottery.title,
        actor=user,
        metadata={"lottery": lottery.pk, "draw": draw_id},
    )


def _pay_prize(*, lottery: Lottery, prize: LotteryPrize, draw_id: int, issuance, wallet) -> Transaction:
    """A points prize, issuance -> wallet (accounts or their ids, already locked)."""
    return ledger_post(
        kind=KIND_PRIZE,
        key=f"lottery:prize:{draw_id}",
        legs=[(issuance, -prize.points), (wallet, prize.points)],
        memo=f"{lottery.title} · {prize.name}",
        metadata={"lottery": lottery.pk, "draw": draw_id, "prize": prize.pk},
    )


def _roll(*, lottery: Lottery, prizes: list[LotteryPrize], take) -> tuple[LotteryPrize | None, dict]:
    """Roll over the odds in force until a prize can be taken (`take(prize)`), or nothing is won;
    returns the prize (None: no prize) and the odds of the roll that decided, as the draw stores them."""
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
        if prize is None or prize.kind == LotteryPrize.Kind.NONE or take(prize):
            break
        excluded.add(prize.pk)
        prize = None
    odds["rolls"] = attempt + 1
    odds["excluded"] = sorted(excluded)
    return prize, odds


@retry_on_conflict
def lottery_draw(*, user, lottery_id: int, idempotency_key: str = "") -> tuple[LotteryDraw, bool]:
    """Draw once. Returns (draw, created): the same key again returns the first draw, drawing nothing.
    A new draw carries `wallet_balance`, the member's points after it."""
    with transaction.atomic():
        lottery = lottery_for_draw(lottery_id)
        if lottery is None:
            raise lottery_not_found()
        lock_members(user)  # a repeat of the same key waits here, then finds the first draw
        if on_postgresql(LotteryDraw):
            drawn = _lottery_draw_statements(user=user, lottery=lottery, idempotency_key=idempotency_key)
            if drawn is not None:
                return drawn
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
        balance = ledger_lock(*accounts)[wallet.pk]

        draw = LotteryDraw.objects.create(
            lottery=lottery, user=user, free=free, cost=cost, local_date=today, idempotency_key=idempotency_key
        )
        if cost:
            draw.cost_transaction = _pay_cost(
                lottery=lottery, user=user, draw_id=draw.pk, wallet=wallet, sink=accounts[1], cost=cost
            )
            balance -= cost

        prize, odds = _roll(lottery=lottery, prizes=prizes, take=lambda prize: _take(prize, user=user, draw=draw))
        if prize is not None and prize.kind == LotteryPrize.Kind.POINTS:
            draw.prize_transaction = _pay_prize(
                lottery=lottery, prize=prize, draw_id=draw.pk, issuance=accounts[-1], wallet=wallet
            )
            draw.points_won = prize.points
            balance += prize.points
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
    draw.wallet_balance = balance
    return draw, True


# -- the draw in a few statements (PostgreSQL) ------------------------------------------------------
#
# A draw of a wheel without product prizes is, on PostgreSQL, the member lock, one read of what the
# checks need (today's draws, the level's extra draws, the prizes, the accounts, the draw's id), the
# accounts' lock, the ledger's postings, the prize's stock and one write of the draw and its event:
# 12 round trips with BEGIN and COMMIT for a paid draw that wins points, where the step-by-step draw
# takes 26 (docs/benchmarks.md, finding 35). A wheel with a product
# prize draws step by step above, which is also the portable path;
# tests/campaigns/lottery/test_draw_statement.py holds the two equal.

_DRAW_CONTEXT = f"""
SELECT
    (SELECT id FROM {LotteryDraw._meta.db_table}
      WHERE lottery_id = %(lottery)s AND user_id = %(user)s AND idempotency_key = %(key)s AND %(key)s <> ''
      LIMIT 1),
    today.drawn,
    today.free_drawn,
    (SELECT extra_lottery_draws_per_day FROM {Level._meta.db_table} WHERE threshold <= COALESCE(
        (SELECT total FROM {Growth._meta.db_table} WHERE user_id = %(user)s ORDER BY id LIMIT 1), 0)
      ORDER BY threshold DESC LIMIT 1),
    (SELECT json_agg(json_build_array(id, name, kind, points, product_id, weight, stock, sort_order)
                     ORDER BY sort_order, id)
       FROM {LotteryPrize._meta.db_table} WHERE lottery_id = %(lottery)s),
    (SELECT id FROM {Account._meta.db_table} WHERE user_id = %(user)s),
    (SELECT id FROM {Account._meta.db_table} WHERE code = %(sink)s AND kind = %(sink_kind)s),
    (SELECT id FROM {Account._meta.db_table} WHERE code = %(issuance)s AND kind = %(issuance_kind)s),
    nextval(pg_get_serial_sequence('{LotteryDraw._meta.db_table}', 'id'))
FROM (
    SELECT count(*) AS drawn, count(*) FILTER (WHERE free) AS free_drawn FROM {LotteryDraw._meta.db_table}
     WHERE lottery_id = %(lottery)s AND user_id = %(user)s AND local_date = %(day)s
) AS today
"""

_DRAW_WRITE = f"""
WITH drawn AS (
    INSERT INTO {LotteryDraw._meta.db_table} (id, lottery_id, user_id, prize_id, prize_kind, prize_name,
        points_won, free, cost, local_date, idempotency_key, odds, cost_transaction_id, prize_transaction_id,
        created_at)
    VALUES (%(draw)s, %(lottery)s, %(user)s, %(prize)s, %(prize_kind)s, %(prize_name)s, %(points_won)s,
        %(free)s, %(cost)s, %(day)s, %(key)s, %(odds)s, %(cost_transaction)s, %(prize_transaction)s, %(at)s)
    RETURNING id
)
{EVENT_INSERT_HEAD} SELECT %(user)s, 'drew', %(at)s, '', %(cost)s, 'lottery:' || drawn.id FROM drawn
RETURNING id
"""


def _lottery_draw_statements(*, user, lottery: Lottery, idempotency_key: str) -> tuple[LotteryDraw, bool] | None:
    """The draw, under the member lock, in the caller's transaction; None for one it does not take
    (a product prize, an account not made yet), which the step-by-step draw then makes: nothing is
    written before that answer."""
    from psycopg.types.json import Jsonb

    today = local_today()
    sink_code, sink_kind = sink_named(shard_of=user.pk)
    issuance_code, issuance_kind = issuance_named(shard_of=user.pk)
    context = fetch_prepared(
        LotteryDraw,
        _DRAW_CONTEXT,
        {
            "lottery": lottery.pk,
            "user": user.pk,
            "key": idempotency_key,
            "day": today,
            "sink": sink_code,
            "sink_kind": sink_kind,
            "issuance": issuance_code,
            "issuance_kind": issuance_kind,
        },
    )
    replay_id, drawn, free_drawn, level_draws, prize_rows, wallet_id, sink_id, issuance_id, draw_id = context[0]
    if replay_id is not None:
        return LotteryDraw.objects.get(pk=replay_id), False
    prizes = [
        LotteryPrize(
            pk=pk,
            lottery=lottery,
            name=name,
            kind=kind,
            points=points,
            product_id=product_id,
            weight=weight,
            stock=stock,
            sort_order=order,
        )
        for pk, name, kind, points, product_id, weight, stock, order in prize_rows or []
    ]
    with_points = any(p.kind == LotteryPrize.Kind.POINTS for p in prizes)
    if (
        any(p.kind == LotteryPrize.Kind.PRODUCT for p in prizes)
        or wallet_id is None
        or (lottery.cost and sink_id is None)
        or (with_points and issuance_id is None)
    ):
        return None
    if not window_open(active=lottery.is_active, starts_at=lottery.starts_at, ends_at=lottery.ends_at):
        raise lottery_closed()
    lottery_tag_check(user=user, lottery=lottery)
    allowance = lottery_allowance_of(
        lottery=lottery,
        drawn=drawn,
        free_drawn=free_drawn,
        level_draws=level_draws or 0,
        earned=lottery_extra_draws_earned(lottery=lottery, user=user, day=today),
    )
    if allowance.left <= 0:
        raise no_draws_left()
    free = allowance.free_left > 0
    cost = 0 if free else lottery.cost
    accounts = [wallet_id, sink_id if cost else None, issuance_id if with_points else None]
    balance = ledger_lock(*accounts)[wallet_id]
    cost_transaction = prize_transaction = None
    if cost:
        cost_transaction = _pay_cost(
            lottery=lottery, user=user, draw_id=draw_id, wallet=wallet_id, sink=sink_id, cost=cost
        )
        balance -= cost
    prize, odds = _roll(lottery=lottery, prizes=prizes, take=_take_unit)
    points_won = 0
    if prize is not None and prize.kind == LotteryPrize.Kind.POINTS:
        prize_transaction = _pay_prize(
            lottery=lottery, prize=prize, draw_id=draw_id, issuance=issuance_id, wallet=wallet_id
        )
        points_won = prize.points
        balance += prize.points
    at = now()
    draw = LotteryDraw(
        pk=draw_id,
        lottery=lottery,
        user=user,
        prize=prize,
        prize_kind=prize.kind if prize is not None else LotteryPrize.Kind.NONE,
        prize_name=prize.name if prize is not None else "",
        points_won=points_won,
        free=free,
        cost=cost,
        local_date=today,
        idempotency_key=idempotency_key,
        odds=odds,
        cost_transaction=cost_transaction,
        prize_transaction=prize_transaction,
        created_at=at,
    )
    fetch_prepared(
        LotteryDraw,
        _DRAW_WRITE,
        {
            "draw": draw_id,
            "lottery": lottery.pk,
            "user": user.pk,
            "prize": draw.prize_id,
            "prize_kind": draw.prize_kind,
            "prize_name": draw.prize_name,
            "points_won": points_won,
            "free": free,
            "cost": cost,
            "day": today,
            "key": idempotency_key,
            "odds": Jsonb(odds),
            "cost_transaction": getattr(cost_transaction, "pk", None),
            "prize_transaction": getattr(prize_transaction, "pk", None),
            "at": at,
        },
    )
    draw._state.adding, draw._state.db = False, "default"
    draw.wallet_balance = balance
    return draw, True
