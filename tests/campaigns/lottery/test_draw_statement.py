"""On PostgreSQL a draw of a wheel without product prizes is made by a few statements (the member
lock, one read of what the checks need, the accounts' lock, the ledger's postings, the prize's
stock, one write of the draw and its event); a wheel with a product prize, and every draw on the
other databases, step by step. For any run of draws the two must answer the same and write the
same rows, given the same rolls."""

import random

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from campaigns.lottery import services as lottery_services
from campaigns.lottery.models import Lottery, LotteryDraw, LotteryPrize
from campaigns.lottery.services import lottery_draw
from core.exceptions import ApplicationError
from events.models import Event
from points.models import Entry, Growth, Level
from points.selectors import wallet_balance
from points.services.ledger import account_for_user, account_issuance, account_sink
from tests.factories import UserFactory
from tests.mall.factories import give_points
from tests.reliability.helpers import statements_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

lotteries = st.fixed_dictionaries(
    {"cost": st.sampled_from([0, 1, 5]), "free_draws_per_day": st.integers(0, 2), "daily_limit": st.integers(1, 5)}
)
prizes = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from([LotteryPrize.Kind.POINTS, LotteryPrize.Kind.NONE]),
            "points": st.integers(1, 50),
            "weight": st.integers(0, 10),
            "stock": st.one_of(st.none(), st.integers(0, 3)),
        }
    ),
    max_size=3,
)
draws = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["", "k1", "k2"])), min_size=1, max_size=8)


class _Rolls:
    """secrets, for the lottery's rolls: the same seed gives both runs the same rolls."""

    def __init__(self, seed: int):
        self._random = random.Random(seed)

    def randbelow(self, n: int) -> int:
        return self._random.randrange(n)


def _run(spec, prize_specs, plan, funds, growth, seed, monkeypatch) -> tuple[list, dict]:
    players = [UserFactory() for _ in funds]
    for player, points, total in zip(players, funds, growth, strict=True):
        account_for_user(player), account_sink(shard_of=player.pk), account_issuance(shard_of=player.pk)
        if points:
            give_points(player, points)
        Growth.objects.create(user=player, total=total)
    lottery = Lottery.objects.create(title="转盘", **spec)
    wheel = []
    for n, prize in enumerate(prize_specs):
        points = prize["points"] if prize["kind"] == LotteryPrize.Kind.POINTS else 0
        wheel.append(LotteryPrize.objects.create(lottery=lottery, name=f"奖{n}", **{**prize, "points": points}))
    monkeypatch.setattr(lottery_services, "secrets", _Rolls(seed))
    answers = []
    for player, key in plan:
        try:
            draw, created = lottery_draw(user=players[player], lottery_id=lottery.pk, idempotency_key=key)
            answers.append((created, draw.prize_name, draw.prize_kind, draw.points_won, draw.cost, draw.free))
            if created:  # the answer's balance is the balance
                assert draw.wallet_balance == wallet_balance(user=players[player])
        except ApplicationError as exc:
            answers.append(exc.code)
    return answers, _written(players, lottery, wheel)


def _written(players, lottery, wheel) -> dict:
    """The rows of the run, with prizes by their place on the wheel (their ids differ between runs)."""
    place = {prize.pk: n for n, prize in enumerate(wheel)}
    number = {player.pk: n for n, player in enumerate(players)}

    def odds(stored: dict) -> dict:
        rows = [{**row, "id": place[row["id"]]} for row in stored["prizes"]]
        return {**stored, "prizes": rows, "excluded": [place[pk] for pk in stored["excluded"]]}

    draws = LotteryDraw.objects.filter(lottery=lottery).order_by("pk")
    return {
        "draws": [
            (
                number[d.user_id],
                place.get(d.prize_id),
                d.prize_kind,
                d.prize_name,
                d.points_won,
                d.free,
                d.cost,
                d.idempotency_key,
                odds(d.odds),
                d.cost_transaction.key == f"lottery:cost:{d.pk}" if d.cost_transaction else None,
                d.prize_transaction.metadata if d.prize_transaction else None,
            )
            for d in draws
        ],
        "stock": [LotteryPrize.objects.get(pk=prize.pk).stock for prize in wheel],
        "entries": [
            list(Entry.objects.filter(account__user=p).order_by("pk").values_list("amount", "balance_after"))
            for p in players
        ],
        "events": [
            list(Event.objects.filter(user=p, kind="drew").order_by("pk").values_list("amount", "ref")) for p in players
        ],
        "event_refs_are_the_draws": sorted(
            Event.objects.filter(kind="drew", user__in=players).values_list("ref", flat=True)
        )
        == sorted(f"lottery:{d.pk}" for d in draws),
    }


def _without_ids(written: dict) -> dict:
    """Events name their draw by id: compare the amounts, and that each names one of the run's draws."""
    draws = [(*row[:10], (row[10] or {}).get("prize") is not None) for row in written["draws"]]
    return {**written, "draws": draws, "events": [[amount for amount, _ref in rows] for rows in written["events"]]}


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spec=lotteries,
    prize_specs=prizes,
    plan=draws,
    funds=st.tuples(st.sampled_from([0, 3, 50]), st.sampled_from([0, 3, 50])),
    growth=st.tuples(st.sampled_from([0, 50]), st.sampled_from([0, 50])),
    level_draws=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
@example(  # free then paid draws, a level's extra draw, a replay, a prize running out, a short wallet
    spec={"cost": 5, "free_draws_per_day": 1, "daily_limit": 5},
    prize_specs=[
        {"kind": LotteryPrize.Kind.POINTS, "points": 20, "weight": 10, "stock": 1},
        {"kind": LotteryPrize.Kind.NONE, "points": 1, "weight": 1, "stock": None},
    ],
    plan=[(0, "k1"), (0, "k1"), (0, ""), (0, ""), (1, ""), (1, ""), (1, "")],
    funds=(50, 3),
    growth=(50, 0),
    level_draws=1,
    seed=7,
)
def test_the_statements_draw_what_the_step_by_step_draw_draws(
    spec, prize_specs, plan, funds, growth, level_draws, seed, monkeypatch
):
    Level.objects.update_or_create(threshold=40, defaults={"name": "金卡", "extra_lottery_draws_per_day": level_draws})
    by_statement = []
    statements = lottery_services._lottery_draw_statements

    def spied(**kwargs):
        drawn = statements(**kwargs)
        by_statement.append(drawn is not None and drawn[1])
        return drawn

    with monkeypatch.context() as patched:
        patched.setattr(lottery_services, "_lottery_draw_statements", spied)
        statement_answers, statement_written = _run(spec, prize_specs, plan, funds, growth, seed, patched)
    with monkeypatch.context() as patched:
        patched.setattr(lottery_services, "on_postgresql", lambda model: False)
        portable_answers, portable_written = _run(spec, prize_specs, plan, funds, growth, seed, patched)

    assert statement_answers == portable_answers
    assert _without_ids(statement_written) == _without_ids(portable_written)
    assert statement_written["event_refs_are_the_draws"] and portable_written["event_refs_are_the_draws"]
    # Every draw the statements' run made, the statements made: the twin compared is theirs.
    assert sum(by_statement) == sum(isinstance(a, tuple) and a[0] for a in statement_answers)


def test_a_paid_draw_that_wins_points_is_ten_statements(user):
    """The lottery, the member lock, the context, the accounts' lock, the cost's posting (lock and
    write), the prize's stock, the prize's posting (lock and write), the draw with its event: ten
    besides BEGIN and COMMIT. The step-by-step draw sends 24, savepoints included.
    (Counting psycopg's executions: the binary cursor's are not in Django's query log.)"""
    account_for_user(user), account_sink(shard_of=user.pk), account_issuance(shard_of=user.pk)
    give_points(user, 10)
    lottery = Lottery.objects.create(title="转盘", cost=1, free_draws_per_day=0, daily_limit=5)
    LotteryPrize.objects.create(lottery=lottery, name="十分", points=10, weight=1, stock=5)

    (draw, created), statements = statements_of(lambda: lottery_draw(user=user, lottery_id=lottery.pk))

    assert len(statements) == 10, statements
    assert (created, draw.points_won, draw.cost, draw.wallet_balance) == (True, 10, 1, 19)
    assert wallet_balance(user=user) == 19
    assert LotteryPrize.objects.get(lottery=lottery).stock == 4
