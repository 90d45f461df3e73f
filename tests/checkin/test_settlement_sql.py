"""The settlement decides every winner's payout in one SQL statement on PostgreSQL: it must pay
exactly what the pure rule (checkin.rules.split_pool, used by the preview) pays."""

import datetime as dt
import itertools
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from checkin import rules
from checkin.models import Challenge, Entry, Round, Settlement
from checkin.services import settlement as settlement_module
from tests.checkin.factories import ChallengeFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BASE = dt.datetime(2026, 3, 1, 6, tzinfo=dt.UTC)
REQUIRED = 2

entry_strategy = st.tuples(
    st.integers(1, 1000),  # stake
    st.sampled_from([0, REQUIRED - 1, REQUIRED, REQUIRED + 1]),  # check-ins
    st.one_of(st.none(), st.integers(0, 3).map(lambda s: BASE + dt.timedelta(seconds=s))),  # qualified at
)


@pytest.fixture(scope="module")
def players(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        users = UserFactory.create_batch(12)
        challenge = ChallengeFactory()
    yield challenge, users
    with django_db_blocker.unblock():
        Entry.objects.filter(round__challenge=challenge).delete()
        Round.objects.filter(challenge=challenge).delete()
        challenge.delete()
        for user in users:
            user.delete()


_round_starts = itertools.count()


def _round_with(challenge, users, specs, rule) -> Round:
    start = dt.date(2026, 3, 1) + dt.timedelta(days=3 * next(_round_starts))  # one round per start date
    round_ = Round.objects.create(
        challenge=challenge,
        start_date=start,
        end_date=start + dt.timedelta(days=2),
        required_days=REQUIRED,
        split_rule=rule,
        no_winner_rule=Challenge.NoWinnerRule.REFUND,
    )
    Entry.objects.bulk_create(
        Entry(
            round=round_,
            user=user,
            stake=stake,
            checkins=checkins,
            qualified_at=qualified if checkins >= REQUIRED else None,
            joined_date=dt.date(2026, 2, 28),
        )
        for user, (stake, checkins, qualified) in zip(users, specs, strict=False)
    )
    return round_


def _decide_and_read(round_: Round, surplus: int) -> tuple[dict[int, int], dict[int, int], set[int]]:
    """Payouts written by the settlement's statement, payouts of the pure rule, and the winners."""
    totals = settlement_module._round_totals(round_)
    decision = settlement_module.settlement_outcome(
        round_=round_, totals=totals, pool=totals.stakes + surplus, cancel=False, can_rollover=False
    )
    expected = settlement_module.entry_payouts(
        round_=round_, decision=decision, entries=settlement_module._entries_of(round_)
    )
    settlement_module._write_entry_decisions(round_, decision)
    written = dict(Entry.objects.filter(round=round_, payout__isnull=False).values_list("pk", "payout"))
    won = set(Entry.objects.filter(round=round_, status=Entry.Status.WON).values_list("pk", flat=True))
    return written, expected, won if decision.outcome == Settlement.Outcome.PAID else None


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=st.lists(entry_strategy, min_size=1, max_size=12),
    surplus=st.one_of(st.integers(0, 50), st.integers(0, 10**15)),
    rule=st.sampled_from([Challenge.SplitRule.PROPORTIONAL, Challenge.SplitRule.EQUAL]),
)
def test_sql_payouts_equal_the_pure_split(players, specs, surplus, rule):
    challenge, users = players
    round_ = _round_with(challenge, users, specs, rule)
    written, expected, won = _decide_and_read(round_, surplus)
    assert written == expected
    if won is None:  # nobody qualified: every stake is refunded
        assert set(Entry.objects.filter(round=round_).values_list("status", flat=True)) == {Entry.Status.REFUNDED}
        return
    qualified = Entry.objects.filter(round=round_, checkins__gte=REQUIRED).values_list("pk", flat=True)
    assert won == set(expected) == set(qualified)
    stakes = sum(Entry.objects.filter(round=round_).values_list("stake", flat=True))
    assert sum(written.values()) == stakes + surplus  # the whole pool, losers' stakes included
    losers = Entry.objects.filter(round=round_).exclude(pk__in=won)
    assert all(e.status == Entry.Status.LOST and e.payout is None for e in losers)


def test_the_fallback_for_other_databases_writes_the_same(players):
    """The SQLite demo decides in Python: same payouts as the statement."""
    challenge, users = players
    specs = [(10, 2, BASE), (30, 3, BASE), (20, 2, None), (15, 0, None), (25, 2, BASE + dt.timedelta(seconds=1))]
    sql_round = _round_with(challenge, users, specs, Challenge.SplitRule.PROPORTIONAL)
    sql_written, _expected, _won = _decide_and_read(sql_round, 7)
    py_round = _round_with(challenge, users, specs, Challenge.SplitRule.PROPORTIONAL)
    with mock.patch.object(settlement_module, "connection", SimpleNamespace(vendor="sqlite")):
        py_written, expected, _won = _decide_and_read(py_round, 7)
    assert py_written == expected
    by_position = lambda written, round_: [  # noqa: E731
        written.get(pk) for pk in Entry.objects.filter(round=round_).order_by("pk").values_list("pk", flat=True)
    ]
    assert (
        by_position(sql_written, sql_round) == by_position(py_written, py_round) == [13, 38, 25, None, 31]
    )  # pool 107: stakes 100 + 7
    assert Settlement.objects.count() == 0


# -- the winnings board's score in SQL ------------------------------------------------------------


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(-5, rules.VALUE_MAX + 10),
            st.one_of(
                st.none(),
                st.integers(-(10**8), 2**31).map(lambda us: rules.SCORE_EPOCH + dt.timedelta(microseconds=us * 997)),
            ),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_the_sql_board_score_equals_the_python_one(values):
    """Values below zero and past the cap, times before the epoch, past 2058 and none at all."""
    from django.db import connection

    score = rules.board_score_sql("v.value", "v.reached")
    sql = f"SELECT {score} FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(value, reached)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [[v for v, _ in values], [t for _, t in values]])
        scores = [score for (score,) in cursor.fetchall()]
    assert scores == [rules.board_score(v, t) for v, t in values]


def test_settlement_batches_add_their_payouts_to_the_winnings_as_a_recount_gives():
    """standings_add_winnings' one statement, batch after batch, against the Python path (the
    SQLite demo's), which recounts the users' paid winning entries."""
    from checkin.models import Standing
    from checkin.services.leaderboards import standings_add_winnings

    challenge = ChallengeFactory()
    users = [UserFactory() for _ in range(3)]
    day = dt.date(2026, 3, 2)
    rounds = [
        Round.objects.create(
            challenge=challenge,
            start_date=day + dt.timedelta(days=k),
            end_date=day + dt.timedelta(days=k),
            required_days=1,
            split_rule=challenge.split_rule,
            no_winner_rule=challenge.no_winner_rule,
        )
        for k in range(2)
    ]
    # The third user qualified earlier in the second round than in the first: the board keeps the
    # latest moment, as MAX(qualified_at) does.
    reached = {(i, k): BASE + dt.timedelta(days=k if i < 2 else 1 - k, seconds=i) for i in range(3) for k in range(2)}
    batches = [[], []]
    for i, user in enumerate(users):
        for k, round_ in enumerate(rounds):
            entry = Entry.objects.create(
                round=round_,
                user=user,
                stake=10,
                joined_date=day - dt.timedelta(days=1),
                status=Entry.Status.WON,
                payout=7 * i + k + 1,
                qualified_at=reached[i, k],
                paid_at=BASE + dt.timedelta(days=k + 1),
            )
            batches[k].append(entry.pk)
    Standing.objects.create(challenge=challenge, user=users[0], streak=3, best_streak=4)

    first = standings_add_winnings(challenge_id=challenge.pk, entry_ids=batches[0])
    scores = standings_add_winnings(challenge_id=challenge.pk, entry_ids=batches[1])

    assert first == {u.pk: rules.board_score(7 * i + 1, reached[i, 0]) for i, u in enumerate(users)}
    expected = {}
    for i, user in enumerate(users):
        total, latest = 2 * (7 * i) + 3, max(reached[i, 0], reached[i, 1])
        expected[user.pk] = rules.board_score(total, latest)
        standing = Standing.objects.get(challenge=challenge, user=user)
        assert (standing.winnings, standing.winnings_at, standing.winnings_score) == (total, latest, expected[user.pk])
    assert scores == expected
    assert Standing.objects.get(user=users[0]).streak == 3  # the streak is left alone
    with mock.patch("core.db._connection", return_value=SimpleNamespace(vendor="sqlite")):
        assert standings_add_winnings(challenge_id=challenge.pk, entry_ids=batches[1]) == expected


def test_a_paid_batch_records_the_same_won_events_and_standings_as_the_portable_path():
    """On PostgreSQL a paid batch marks its entries paid and records their `won` events in one
    statement; the SQLite demo does it in two steps. Both settle the same round the same way."""
    from checkin.models import Standing
    from checkin.services import round_settle
    from events.models import Event
    from points.models import Transaction
    from points.services.ledger import account_issuance, account_pool, ledger_post

    def settled(portable: bool) -> list[tuple]:
        challenge = ChallengeFactory(bonus=0)
        users = UserFactory.create_batch(3)
        round_ = _round_with(
            challenge, users, [(10, REQUIRED, BASE), (20, REQUIRED, BASE), (30, 0, None)], Challenge.SplitRule.EQUAL
        )
        ledger_post(
            kind=Transaction.Kind.STAKE,
            key=f"test:pool:{round_.pk}",
            legs=[(account_issuance(), -60), (account_pool(round_.pk), 60)],
        )
        vendor = SimpleNamespace(vendor="sqlite") if portable else None
        with (
            mock.patch("core.db._connection", return_value=vendor) if portable else mock.MagicMock(),
            time_machine.travel(dt.datetime(2027, 1, 1, tzinfo=dt.UTC), tick=False),
        ):
            round_settle(round_id=round_.pk, batch_size=1)
        position = {user.pk: i for i, user in enumerate(users)}
        entry_of = {e.pk: position[e.user_id] for e in Entry.objects.filter(round=round_)}
        events = sorted(
            (position[e.user_id], e.amount, entry_of[int(e.ref.split(":")[1])], e.at)
            for e in Event.objects.filter(kind="won", user__in=users)
        )
        entries = sorted((position[e.user_id], e.payout, e.paid_at) for e in Entry.objects.filter(round=round_))
        standings = sorted((position[s.user_id], s.winnings) for s in Standing.objects.filter(challenge=challenge))
        return [events, entries, standings]

    by_statement, by_steps = settled(portable=False), settled(portable=True)
    assert by_statement == by_steps
    assert [amount for _user, amount, _entry, _at in by_statement[0]] == [25, 35]  # stake + half the 30 lost
