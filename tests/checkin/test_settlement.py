"""Settlement: outcomes, exactly-once payouts across re-runs, crashes and concurrent runs, cancel."""

import datetime as dt
import threading
from unittest import mock

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from checkin.models import Challenge, Entry, Round, Settlement
from checkin.services import challenge_join, checkin_create, round_cancel, round_settle, rounds_settle_due
from checkin.services import settlement as settlement_module
from checkin.services.settlement import rounds_due, settlement_preview
from core.exceptions import ApplicationError
from points.models import Account, Lot, Transaction
from points.services.audit import ledger_audit
from points.services.ledger import account_pool
from tests.checkin.factories import ChallengeFactory, MultiDayChallengeFactory, at, balance, fund, payout_legs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JOIN_DAY = at(2026, 3, 1, 12)
CHECKIN_TIME = at(2026, 3, 2, 6, 30)
AFTER = at(2026, 3, 3, 0, 10)


def play(challenge, stakes, checkers, *, funds=100):
    """Users join with `stakes` on 03-01; those at indexes `checkers` check in on 03-02 (in that order)."""
    users = [UserFactory() for _ in stakes]
    for user in users:
        fund(user, funds)
    with time_machine.travel(JOIN_DAY, tick=False):
        entries = [challenge_join(user=u, challenge=challenge, stake=s) for u, s in zip(users, stakes, strict=True)]
    for offset, index in enumerate(checkers):
        with time_machine.travel(CHECKIN_TIME + dt.timedelta(seconds=offset), tick=False):
            checkin_create(user=users[index], challenge=challenge)
    return users, entries


def settle(round_id, **kwargs):
    with time_machine.travel(AFTER, tick=False):
        return round_settle(round_id=round_id, **kwargs)


def pool_left(round_id) -> int:
    return account_pool(round_id).balance


def assert_ledger_ok():
    report = ledger_audit()
    assert report.ok, report.problems


class TestOutcomes:
    def test_winners_split_the_pool_by_stake(self):
        challenge = ChallengeFactory(bonus=100)
        users, entries = play(challenge, [10, 30, 20], checkers=[0, 1])

        settlement = settle(entries[0].round_id)

        assert settlement.outcome == Settlement.Outcome.PAID and settlement.state == Settlement.State.DONE
        assert (settlement.pool, settlement.winners, settlement.winners_stake) == (160, 2, 40)
        assert [balance(u) for u in users] == [90 + 40, 70 + 120, 80]
        assert pool_left(entries[0].round_id) == 0
        assert [e.status for e in Entry.objects.order_by("pk")] == ["won", "won", "lost"]
        assert Round.objects.get().status == Round.Status.SETTLED
        assert payout_legs() == 2
        assert_ledger_ok()

    def test_running_again_pays_nothing_more(self):
        challenge = ChallengeFactory(bonus=100)
        users, entries = play(challenge, [10, 30, 20], checkers=[0, 1])
        settle(entries[0].round_id)
        before = [balance(u) for u in users]
        again = settle(entries[0].round_id)
        assert again.state == Settlement.State.DONE
        assert [balance(u) for u in users] == before
        assert payout_legs() == 2

    def test_equal_rule_returns_stakes_and_shares_the_rest_equally(self):
        challenge = ChallengeFactory(bonus=100, split_rule=Challenge.SplitRule.EQUAL)
        users, entries = play(challenge, [10, 30, 20], checkers=[0, 1])
        settle(entries[0].round_id)
        # surplus = 160 - 40 = 120: 60 each on top of the stakes
        assert [balance(u) for u in users] == [90 + 70, 70 + 90, 80]

    def test_a_round_cannot_settle_before_its_last_window_closes(self):
        challenge = ChallengeFactory()
        _, entries = play(challenge, [10], checkers=[0])
        with time_machine.travel(at(2026, 3, 2, 9, 0, 59), tick=False), pytest.raises(ApplicationError) as info:
            round_settle(round_id=entries[0].round_id)
        assert info.value.code == "round_not_finished"
        assert not Settlement.objects.exists()
        with time_machine.travel(at(2026, 3, 2, 9, 1), tick=False):
            assert round_settle(round_id=entries[0].round_id).outcome == Settlement.Outcome.PAID

    def test_nobody_wins_and_stakes_are_refunded_with_the_bonus_back_to_issuance(self):
        challenge = ChallengeFactory(bonus=100, no_winner_rule=Challenge.NoWinnerRule.REFUND)
        users, entries = play(challenge, [10, 30], checkers=[])
        issuance_before = Account.objects.get(code="issuance").balance

        settlement = settle(entries[0].round_id)

        assert settlement.outcome == Settlement.Outcome.REFUNDED
        assert (settlement.paid_total, settlement.returned_total) == (40, 100)
        assert [balance(u) for u in users] == [100, 100]
        assert pool_left(entries[0].round_id) == 0
        assert Account.objects.get(code="issuance").balance == issuance_before + 100
        refunds = Transaction.objects.filter(kind=Transaction.Kind.REFUND, key__startswith="checkin:refund:entry:")
        assert {t.refund_of_id for t in refunds} == {e.stake_txn_id for e in entries}
        assert [e.status for e in Entry.objects.all()] == ["refunded", "refunded"]
        assert_ledger_ok()

    def test_nobody_wins_and_the_pool_rolls_into_the_next_round(self):
        challenge = ChallengeFactory(bonus=100, no_winner_rule=Challenge.NoWinnerRule.ROLLOVER)
        users, entries = play(challenge, [10, 30], checkers=[])

        settlement = settle(entries[0].round_id)

        assert settlement.outcome == Settlement.Outcome.ROLLED_OVER
        target = settlement.rollover_to
        assert target.start_date > entries[0].round.end_date
        assert (target.rollover_in, pool_left(target.pk), pool_left(entries[0].round_id)) == (140, 140, 0)
        assert [balance(u) for u in users] == [90, 70]

        # The next round's winner takes stakes + bonus + what rolled in.
        winner = UserFactory()
        fund(winner, 100)
        join_at = at(target.start_date.year, target.start_date.month, target.start_date.day) - dt.timedelta(hours=6)
        with time_machine.travel(join_at, tick=False):
            challenge_join(user=winner, challenge=challenge, stake=10)
        day = target.start_date
        with time_machine.travel(at(day.year, day.month, day.day, 6), tick=False):
            checkin_create(user=winner, challenge=challenge)
        with time_machine.travel(at(day.year, day.month, day.day, 10), tick=False):
            second = round_settle(round_id=target.pk)
        assert second.pool == 140 + 10 + 100
        assert balance(winner) == 90 + 250
        assert_ledger_ok()

    def test_rollover_without_a_next_round_refunds(self):
        challenge = MultiDayChallengeFactory(repeat=False, no_winner_rule=Challenge.NoWinnerRule.ROLLOVER)
        users, entries = play(challenge, [10], checkers=[])
        with time_machine.travel(at(2026, 3, 8), tick=False):
            settlement = round_settle(round_id=entries[0].round_id)
        assert settlement.outcome == Settlement.Outcome.REFUNDED
        assert balance(users[0]) == 100

    def test_an_empty_round_settles_to_nothing(self):
        challenge = ChallengeFactory()
        with time_machine.travel(JOIN_DAY, tick=False):
            from checkin.services import round_for_enrollment

            round_ = round_for_enrollment(challenge=challenge)
        settlement = settle(round_.pk)
        assert (settlement.outcome, settlement.pool) == (Settlement.Outcome.EMPTY, 0)

    def test_multi_day_winners_need_the_required_days(self):
        challenge = MultiDayChallengeFactory(bonus=0, split_rule=Challenge.SplitRule.PROPORTIONAL)  # 3 of 5 days
        users = [UserFactory() for _ in range(3)]
        for user in users:
            fund(user, 100)
        with time_machine.travel(JOIN_DAY, tick=False):
            for user in users:
                challenge_join(user=user, challenge=challenge, stake=20)
        for day, who in [(2, [0, 1, 2]), (3, [0, 1]), (4, [0]), (5, [1])]:
            for index in who:
                with time_machine.travel(at(2026, 3, day, 21), tick=False):
                    checkin_create(user=users[index], challenge=challenge)
        round_ = Round.objects.get()
        with time_machine.travel(at(2026, 3, 6, 23, 59, 59), tick=False):
            assert round_.pk not in rounds_due()
        with time_machine.travel(at(2026, 3, 7, 0, 0), tick=False):
            assert rounds_due() == [round_.pk]
            settlement = round_settle(round_id=round_.pk)
        assert settlement.winners == 2
        assert [balance(u) for u in users] == [80 + 30, 80 + 30, 80]


class TestCancel:
    def test_cancelling_refunds_every_stake_and_returns_the_bonus(self):
        challenge = ChallengeFactory(bonus=100)
        users, entries = play(challenge, [10, 30, 20], checkers=[0])
        with time_machine.travel(at(2026, 3, 2, 8), tick=False):
            settlement = round_cancel(round_id=entries[0].round_id)
        assert settlement.outcome == Settlement.Outcome.CANCELLED
        assert [balance(u) for u in users] == [100, 100, 100]
        assert Round.objects.get().status == Round.Status.CANCELLED
        assert pool_left(entries[0].round_id) == 0
        # Cancelling again finds the finished cancellation and pays nothing more.
        assert round_cancel(round_id=entries[0].round_id).pk == settlement.pk
        assert [balance(u) for u in users] == [100, 100, 100]
        assert Transaction.objects.filter(key__startswith="checkin:refund:entry:").count() == 3
        assert_ledger_ok()

    def test_a_settled_round_cannot_be_cancelled(self):
        challenge = ChallengeFactory()
        _, entries = play(challenge, [10], checkers=[0])
        settle(entries[0].round_id)
        with pytest.raises(ApplicationError) as info:
            round_cancel(round_id=entries[0].round_id)
        assert info.value.code == "round_not_open"

    def test_a_refund_gives_back_the_expiry_lots_the_stake_took(self, settings):
        settings.POINTS_EXPIRY_ENABLED = True
        challenge = ChallengeFactory(bonus=0)
        user = UserFactory()
        fund(user, 100)
        lot = Lot.objects.get(account__user=user)
        with time_machine.travel(JOIN_DAY, tick=False):
            entry = challenge_join(user=user, challenge=challenge, stake=30)
        lot.refresh_from_db()
        assert lot.remaining == 70
        round_cancel(round_id=entry.round_id)
        lot.refresh_from_db()
        assert lot.remaining == 100
        assert Lot.objects.filter(account__user=user).count() == 1


class TestExactlyOnce:
    def test_a_crash_after_batch_k_then_a_rerun_pays_each_entry_exactly_once(self):
        challenge = ChallengeFactory(bonus=100)
        stakes = [10, 20, 30, 40, 50, 60, 70]
        users, entries = play(challenge, stakes, checkers=range(7))
        round_id = entries[0].round_id
        real = settlement_module.ledger_post
        calls = {"n": 0}

        def crash_after_two_batches(**kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("worker killed")
            return real(**kwargs)

        with (
            mock.patch.object(settlement_module, "ledger_post", side_effect=crash_after_two_batches),
            pytest.raises(RuntimeError, match="worker killed"),
        ):
            settle(round_id, batch_size=2)

        # Two batches of two were paid and kept; the third rolled back.
        settlement = Settlement.objects.get()
        assert settlement.state == Settlement.State.PAYING and settlement.batches == 2
        assert Entry.objects.filter(paid_at__isnull=False).count() == 4
        assert payout_legs() == 4
        assert Round.objects.get().status == Round.Status.SETTLING
        with time_machine.travel(AFTER, tick=False):
            assert rounds_due() == [round_id]  # the nightly job picks it up again

        settlement = settle(round_id, batch_size=2)

        assert settlement.state == Settlement.State.DONE and settlement.batches == 4
        assert payout_legs() == 7
        pool = sum(stakes) + 100
        expected = {e.pk: pool * e.stake // sum(stakes) for e in entries}
        paid = {e.pk: e.payout for e in Entry.objects.all()}
        assert sum(paid.values()) == pool
        assert all(paid[k] - expected[k] in (0, 1) for k in paid)
        assert [balance(u) for u in users] == [
            100 - s + paid[e.pk] for u, s, e in zip(users, stakes, entries, strict=True)
        ]
        assert pool_left(round_id) == 0
        assert_ledger_ok()

    def test_a_crash_while_deciding_leaves_nothing_half_written(self):
        challenge = ChallengeFactory()
        _, entries = play(challenge, [10, 20], checkers=[0])
        with (
            mock.patch.object(settlement_module, "_write_entry_decisions", side_effect=RuntimeError("boom")),
            pytest.raises(RuntimeError),
        ):
            settle(entries[0].round_id)
        assert not Settlement.objects.exists()
        assert Round.objects.get().status == Round.Status.OPEN
        assert settle(entries[0].round_id).state == Settlement.State.DONE

    def test_the_command_settles_due_rounds_and_is_safe_to_run_twice(self):
        challenge = ChallengeFactory(bonus=100)
        users, _ = play(challenge, [10, 30, 20], checkers=[0, 1])
        with time_machine.travel(AFTER, tick=False):
            call_command("settle_rounds")
            call_command("settle_rounds")
        assert [balance(u) for u in users] == [130, 190, 80]
        assert payout_legs() == 2

    def test_the_nightly_run_reports_a_failing_round_and_still_settles_the_others(self):
        first = ChallengeFactory()
        second = ChallengeFactory()
        _, entries_a = play(first, [10], checkers=[0])
        _, entries_b = play(second, [10], checkers=[0])
        failing_first = _settle_failing_for(entries_a[0].round_id)

        with (
            mock.patch.object(settlement_module, "round_settle", side_effect=failing_first),
            time_machine.travel(AFTER, tick=False),
        ):
            report = rounds_settle_due()
        assert report.failed == [entries_a[0].round_id] and report.settled == 1
        assert Round.objects.get(pk=entries_b[0].round_id).status == Round.Status.SETTLED

    def test_the_nightly_task_fans_out_one_task_per_due_round(self):
        """On a broker each due round is its own task, so two workers settle two rounds at once."""
        from checkin import tasks

        first, second = ChallengeFactory(), ChallengeFactory()
        _, entries_a = play(first, [10], checkers=[0])
        _, entries_b = play(second, [10], checkers=[])
        with mock.patch.object(tasks.settle_round_task, "delay") as queued, time_machine.travel(AFTER, tick=False):
            tasks.settle_rounds_task.apply(throw=True)
        assert [c.args for c in queued.call_args_list] == [(entries_a[0].round_id,), (entries_b[0].round_id,)]
        assert not Settlement.objects.exists()  # queued, not settled here

    def test_in_process_the_nightly_task_settles_the_others_and_then_fails(self):
        from checkin import tasks

        first, second = ChallengeFactory(), ChallengeFactory()
        _, entries_a = play(first, [10], checkers=[0])
        _, entries_b = play(second, [10], checkers=[0])
        failing_first = _settle_failing_for(entries_a[0].round_id)

        with (
            mock.patch.object(tasks, "round_settle", side_effect=failing_first),
            time_machine.travel(AFTER, tick=False),
            pytest.raises(RuntimeError, match="failed"),
        ):
            tasks.settle_rounds_task.apply(throw=True)
        assert Round.objects.get(pk=entries_b[0].round_id).status == Round.Status.SETTLED


def _settle_failing_for(broken_round_id: int):
    """A stand-in for round_settle that fails for one round and settles the others."""
    real = settlement_module.round_settle

    def settle(*, round_id, **kwargs):
        if round_id == broken_round_id:
            raise RuntimeError("broken")
        return real(round_id=round_id, **kwargs)

    return settle


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_settlements_at_once_pay_once():
    challenge = ChallengeFactory(bonus=100)
    stakes = [10 + i for i in range(12)]
    users, entries = play(challenge, stakes, checkers=range(12))
    round_id = entries[0].round_id
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            round_settle(round_id=round_id, batch_size=3)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(AFTER, tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert Settlement.objects.count() == 1
    assert payout_legs() == 12
    pool = sum(stakes) + 100
    assert sum(balance(u) for u in users) == 100 * 12 - sum(stakes) + pool
    assert pool_left(round_id) == 0
    assert_ledger_ok()


def test_the_preview_writes_nothing_and_matches_the_settlement():
    challenge = ChallengeFactory(bonus=100)
    _, entries = play(challenge, [10, 30, 20], checkers=[0, 1])
    round_ = Round.objects.get()
    with time_machine.travel(AFTER, tick=False):
        preview = settlement_preview(round_=round_)
    assert preview.due
    assert not Settlement.objects.exists()
    assert preview.decision.payouts == {entries[0].pk: 40, entries[1].pk: 120}
    settle(round_.pk)
    assert {e.pk: e.payout for e in Entry.objects.filter(status="won")} == preview.decision.payouts


def test_the_nightly_job_settles_rounds_at_ten_past_midnight_shanghai():
    from checkin.jobs import NIGHTLY_JOBS

    jobs = {job.name: job for job in NIGHTLY_JOBS}
    assert jobs["settle_rounds"].order == 20
    assert jobs["settle_rounds"].task == "checkin.tasks.settle_rounds_task"
    assert django_settings.CELERY_TIMEZONE == "UTC" and jobs["settle_rounds"].crontab == "10 16 * * *"


def test_run_nightly_settles_due_rounds_and_rebuilds_the_boards():
    from core.jobs import nightly_run

    challenge = ChallengeFactory(bonus=100)
    users, _ = play(challenge, [10, 30], checkers=[0, 1])
    # Only this app's jobs, through the runner that run_nightly uses.
    with time_machine.travel(AFTER, tick=False):
        results = nightly_run(only=["settle_rounds", "rebuild_leaderboards"])
    assert [(name, ok) for name, ok, _ in results] == [("settle_rounds", True), ("rebuild_leaderboards", True)]
    assert Round.objects.get().status == Round.Status.SETTLED
    assert [balance(u) for u in users] == [90 + 35, 70 + 105]
    assert_ledger_ok()
