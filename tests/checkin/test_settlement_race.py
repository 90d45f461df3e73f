"""Settlement against the last check-ins of a round: the decision works on a frozen set of winners.

A check-in (or makeup) that passed the window check just before the close may reach the database
while the round is being decided. Either it commits before the decision reads the totals (and it
counts), or it is refused with 409 checkin_window_closed: never a winner the split was not
computed for (payouts above the pool: the round stuck), and never a silent miss.
"""

import datetime as dt
import threading
import time
from collections import Counter
from unittest import mock

import pytest
import time_machine
from django.db import connection, transaction

from checkin.models import CheckIn, Entry, Round, Settlement
from checkin.services import checkin_create, checkin_makeup, round_settle
from checkin.services import checkins as checkins_module
from checkin.services import settlement as settlement_module
from core.exceptions import ApplicationError
from points.models import Account, Transaction
from points.models import Entry as LedgerEntry
from points.services import tasks as tasks_module
from tests.checkin.factories import ChallengeFactory, MultiDayChallengeFactory, at, balance, fund
from tests.checkin.test_settlement import AFTER, assert_ledger_ok, play, pool_left
from tests.factories import UserFactory

# The daily round of 2026-03-02 checks in 05:00-09:00: its window closes at 09:01:00.
LAST_MOMENT = at(2026, 3, 2, 9, 0, 59, 900_000)


@pytest.fixture(params=["statement", "steps"])
def write_path(request):
    """The check-in's write: one statement (PostgreSQL) or the steps (SQLite, makeups): both hold
    the round the same way."""
    if request.param == "statement":
        yield request.param
        return
    steps = checkins_module._checkin_write_portable
    with mock.patch.object(checkins_module, "_checkin_write", side_effect=lambda **kwargs: steps(**kwargs)):
        yield request.param


def _backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def _wait_until_done_or_waiting(thread: threading.Thread, pid: dict, *, timeout: float = 10) -> None:
    """Return once `thread` has finished or its database session waits for a lock held by another."""
    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        if "pid" in pid:
            with connection.cursor() as cursor:
                cursor.execute("SELECT cardinality(pg_blocking_pids(%s))", [pid["pid"]])
                if cursor.fetchone()[0]:
                    return
        time.sleep(0.005)


def _assert_paid_once_and_the_pool_adds_up(round_id: int) -> Settlement:
    settlement = Settlement.objects.get(round_id=round_id)
    assert settlement.state == Settlement.State.DONE
    assert Round.objects.get(pk=round_id).status == Round.Status.SETTLED
    entries = Entry.objects.filter(round_id=round_id)
    assert sum(e.payout or 0 for e in entries) == settlement.pool
    assert all((e.payout is None) == (e.paid_at is None) for e in entries)
    legs = LedgerEntry.objects.filter(transaction__kind=Transaction.Kind.PAYOUT, account__kind=Account.Kind.USER)
    assert max(Counter(legs.values_list("account_id", flat=True)).values()) == 1  # each entry paid once
    assert sum(legs.values_list("amount", flat=True)) == settlement.pool
    assert pool_left(round_id) == 0
    assert_ledger_ok()
    return settlement


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_in_reaching_the_database_while_the_round_is_decided_is_refused_and_the_pool_adds_up(write_path):
    # Given: three stakes, two check-ins; the third user taps at the window's last moment.
    challenge = ChallengeFactory(bonus=100)
    users, entries = play(challenge, [10, 30, 20], checkers=[0, 1])
    round_id = entries[0].round_id
    late: dict = {}
    real_totals = settlement_module._round_totals

    def late_check_in():
        try:
            late["pid"] = _backend_pid()
            late["result"] = checkin_create(user=users[2], challenge=challenge)
        except Exception as exc:  # noqa: BLE001 - asserted below
            late["error"] = exc
        finally:
            connection.close()

    def totals_then_the_late_check_in(round_):
        # When: the late check-in reaches the database between the totals and the payouts.
        totals = real_totals(round_)
        late["thread"] = threading.Thread(target=late_check_in)
        late["thread"].start()
        _wait_until_done_or_waiting(late["thread"], late)
        return totals

    with (
        mock.patch.object(checkins_module, "now", return_value=LAST_MOMENT),
        mock.patch.object(settlement_module, "_round_totals", side_effect=totals_then_the_late_check_in),
        time_machine.travel(AFTER, tick=False),
    ):
        round_settle(round_id=round_id, batch_size=2)
        late["thread"].join(10)
        assert not late["thread"].is_alive()

    # Then: the late tap is told the window closed; the winners split exactly the pool, once.
    assert "result" not in late, late
    error = late["error"]
    assert isinstance(error, ApplicationError), error
    assert (error.code, error.status) == ("checkin_window_closed", 409)
    assert not CheckIn.objects.filter(user=users[2]).exists()
    settlement = _assert_paid_once_and_the_pool_adds_up(round_id)
    assert (settlement.pool, settlement.winners, settlement.winners_stake) == (160, 2, 40)
    assert [balance(u) for u in users] == [90 + 40, 70 + 120, 80]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_decision_waits_for_a_check_in_still_committing_and_counts_it(write_path):
    # Given: three stakes, two check-ins; the third user's check-in is written, not yet committed.
    challenge = ChallengeFactory(bonus=100)
    users, entries = play(challenge, [10, 30, 20], checkers=[0, 1])
    round_id = entries[0].round_id
    written, release = threading.Event(), threading.Event()
    outcome: dict = {}
    decider: dict = {}

    def check_in_held_open():
        try:
            with transaction.atomic():
                outcome["result"] = checkin_create(user=users[2], challenge=challenge)
                written.set()
                release.wait(10)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["error"] = exc
        finally:
            written.set()
            connection.close()

    def settle():
        try:
            decider["pid"] = _backend_pid()
            decider["settlement"] = round_settle(round_id=round_id, batch_size=2)
        except Exception as exc:  # noqa: BLE001 - asserted below
            decider["error"] = exc
        finally:
            connection.close()

    with (
        mock.patch.object(checkins_module, "now", return_value=LAST_MOMENT),
        time_machine.travel(AFTER, tick=False),
    ):
        checking_in = threading.Thread(target=check_in_held_open)
        checking_in.start()
        assert written.wait(10)
        # When: the settlement starts while that check-in is in flight, then the check-in commits.
        settling = threading.Thread(target=settle)
        settling.start()
        _wait_until_done_or_waiting(settling, decider)
        release.set()
        checking_in.join(10)
        settling.join(10)

    # Then: the check-in counted, and the split was computed with it.
    assert "error" not in outcome and "error" not in decider, (outcome, decider)
    assert outcome["result"][1] is True
    settlement = _assert_paid_once_and_the_pool_adds_up(round_id)
    assert (settlement.winners, settlement.winners_stake) == (3, 60)
    assert [e.status for e in Entry.objects.order_by("pk")] == ["won", "won", "won"]


@pytest.mark.django_db
def test_a_check_in_after_the_round_was_decided_answers_window_closed_not_not_enrolled(write_path):
    """The tap passed the window check at the last moment; the round settled before its write."""
    challenge = ChallengeFactory(bonus=100)
    users, entries = play(challenge, [10, 30, 20], checkers=[0, 1])
    real_pending = tasks_module.task_pending

    def settle_first(**kwargs):
        with time_machine.travel(AFTER, tick=False):
            round_settle(round_id=entries[0].round_id)
        return real_pending(**kwargs)

    with (
        mock.patch.object(checkins_module, "now", return_value=LAST_MOMENT),
        mock.patch.object(tasks_module, "task_pending", side_effect=settle_first),
        pytest.raises(ApplicationError) as info,
    ):
        checkin_create(user=users[2], challenge=challenge)

    assert (info.value.code, info.value.status) == ("checkin_window_closed", 409)
    assert not CheckIn.objects.filter(user=users[2]).exists()
    assert Entry.objects.get(user=users[2]).checkins == 0


@pytest.mark.django_db
def test_a_makeup_after_the_round_was_decided_is_refused_and_costs_nothing():
    """A makeup passed its checks in the round's last minute; the round settled before its write."""
    challenge = MultiDayChallengeFactory()  # 03-02..03-06, window 20:00-23:59, makeups cost 20
    user, other = UserFactory(), UserFactory()
    for member in (user, other):
        fund(member, 100)
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        entry = checkins_module.challenge_join(user=user, challenge=challenge, stake=10)
        checkins_module.challenge_join(user=other, challenge=challenge, stake=10)
    real_entry_for_day = checkins_module._entry_for_day

    def then_settle(**kwargs):
        found = real_entry_for_day(**kwargs)
        with time_machine.travel(at(2026, 3, 7, 0, 10), tick=False):
            round_settle(round_id=entry.round_id)
        return found

    with (
        time_machine.travel(at(2026, 3, 6, 23, 59, 59), tick=False),
        mock.patch.object(checkins_module, "_entry_for_day", side_effect=then_settle),
        pytest.raises(ApplicationError) as info,
    ):
        checkin_makeup(user=user, challenge=challenge, day=dt.date(2026, 3, 3))

    assert (info.value.code, info.value.status) == ("checkin_window_closed", 409)
    assert not CheckIn.objects.filter(user=user).exists()
    assert Entry.objects.get(pk=entry.pk).makeups_used == 0
    assert balance(user) == 100  # refunded stake, no makeup cost


@pytest.mark.django_db
def test_a_split_that_does_not_add_up_to_the_pool_is_not_decided_and_the_next_run_settles():
    """Belt and braces behind the round lock: if the winners ever moved under the totals, the
    decision would write payouts above the pool; it refuses to commit them, so the round is not
    stuck (every later batch failing), and the next run decides again."""
    challenge = ChallengeFactory(bonus=100)
    _users, entries = play(challenge, [10, 30, 20], checkers=[0, 1, 2])
    round_id = entries[0].round_id
    real_totals = settlement_module._round_totals

    def one_winner_missed(round_):
        totals = real_totals(round_)
        return settlement_module.RoundTotals(
            participants=totals.participants,
            stakes=totals.stakes,
            winners=totals.winners - 1,
            winners_stake=totals.winners_stake - 20,
        )

    with time_machine.travel(AFTER, tick=False):
        with (
            mock.patch.object(settlement_module, "_round_totals", side_effect=one_winner_missed),
            pytest.raises(RuntimeError, match=r"3 winners paid \d+ where the totals counted 2 sharing 160"),
        ):
            round_settle(round_id=round_id)
        assert not Settlement.objects.exists() and Round.objects.get(pk=round_id).status == Round.Status.OPEN
        assert set(Entry.objects.values_list("payout", flat=True)) == {None}

        round_settle(round_id=round_id)

    settlement = _assert_paid_once_and_the_pool_adds_up(round_id)
    assert (settlement.winners, settlement.winners_stake) == (3, 60)
