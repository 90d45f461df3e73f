"""Joining (the stake), checking in (windows, cutoff, repeats, races) and makeup check-ins."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from checkin.models import CheckIn, Entry, Round
from checkin.services import challenge_join, checkin_create, checkin_makeup
from core.exceptions import ApplicationError
from points.models import Account, PointsTask, TaskCompletion, Transaction
from points.services.ledger import account_pool
from tests.checkin.factories import ChallengeFactory, MultiDayChallengeFactory, at, balance, fund
from tests.factories import UserFactory
from tests.reliability.helpers import while_held

pytestmark = pytest.mark.django_db


def join(user, challenge, stake, when=None):
    with time_machine.travel(when or at(2026, 3, 1, 12), tick=False):
        return challenge_join(user=user, challenge=challenge, stake=stake)


def check_in(user, challenge, when):
    with time_machine.travel(when, tick=False):
        return checkin_create(user=user, challenge=challenge)


def error_of(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        call()
    return info.value


# -- join ---------------------------------------------------------------------------------------


class TestJoin:
    def test_the_stake_moves_to_the_pool_of_tomorrows_round_and_the_first_join_brings_the_bonus(self):
        challenge = ChallengeFactory(bonus=100)
        alice, bob = UserFactory(), UserFactory()
        fund(alice, 100)
        fund(bob, 100)

        entry = join(alice, challenge, 30)
        join(bob, challenge, 20)

        round_ = Round.objects.get()
        assert (round_.start_date, round_.end_date) == (dt.date(2026, 3, 2), dt.date(2026, 3, 2))
        assert (round_.participants, round_.stake_total, round_.pool) == (2, 50, 150)
        assert account_pool(round_.pk).balance == 150
        assert (balance(alice), balance(bob)) == (70, 80)
        assert Transaction.objects.filter(kind=Transaction.Kind.BONUS).count() == 1
        assert entry.stake_txn.kind == Transaction.Kind.STAKE
        assert entry.joined_date == dt.date(2026, 3, 1)

    def test_joining_twice_is_refused_and_moves_nothing(self):
        challenge = ChallengeFactory()
        user = UserFactory()
        fund(user, 100)
        join(user, challenge, 10)
        assert error_of(lambda: join(user, challenge, 10)).code == "already_joined"
        assert balance(user) == 90
        assert Round.objects.get().participants == 1

    def test_not_enough_points_creates_nothing(self):
        challenge = ChallengeFactory()
        user = UserFactory()
        fund(user, 5)
        error = error_of(lambda: join(user, challenge, 10))
        assert (error.code, error.status) == ("insufficient_points", 400)
        assert not Entry.objects.exists()
        assert Round.objects.get().participants == 0
        assert balance(user) == 5
        assert not Transaction.objects.filter(kind=Transaction.Kind.BONUS).exists()

    @pytest.mark.parametrize("stake", [9, 101])
    def test_a_stake_outside_the_range_is_refused(self, stake):
        challenge = ChallengeFactory()
        user = UserFactory()
        fund(user, 1000)
        assert error_of(lambda: join(user, challenge, stake)).code == "invalid_stake"

    def test_a_full_round_refuses_the_next_participant(self):
        challenge = ChallengeFactory(max_participants=1)
        first, second = UserFactory(), UserFactory()
        fund(first, 100)
        fund(second, 100)
        join(first, challenge, 10)
        error = error_of(lambda: join(second, challenge, 10))
        assert (error.code, error.status) == ("round_full", 409)
        assert balance(second) == 100

    def test_an_inactive_challenge_or_a_started_one_off_round_is_closed(self):
        user = UserFactory()
        fund(user, 100)
        inactive = ChallengeFactory(is_active=False)
        assert error_of(lambda: join(user, inactive, 10)).code == "enrollment_closed"
        once = MultiDayChallengeFactory(repeat=False)  # starts 2026-03-02
        assert error_of(lambda: join(user, once, 10, at(2026, 3, 2, 0, 0))).code == "enrollment_closed"
        join(user, once, 10, at(2026, 3, 1, 23, 59, 59))

    def test_a_repeating_multi_day_challenge_enrols_into_the_next_round_once_one_started(self):
        challenge = MultiDayChallengeFactory()  # 5-day rounds from 2026-03-02
        user = UserFactory()
        fund(user, 100)
        entry = join(user, challenge, 10, at(2026, 3, 4, 12))
        assert (entry.round.start_date, entry.round.end_date) == (dt.date(2026, 3, 7), dt.date(2026, 3, 11))

    def test_a_cancelled_round_takes_no_more_entries(self):
        from checkin.services import round_cancel

        challenge = ChallengeFactory()
        first, second = UserFactory(), UserFactory()
        fund(first, 100)
        fund(second, 100)
        entry = join(first, challenge, 10)
        with time_machine.travel(at(2026, 3, 1, 13), tick=False):
            round_cancel(round_id=entry.round_id)
        assert error_of(lambda: join(second, challenge, 10)).code == "enrollment_closed"


# -- check-in -----------------------------------------------------------------------------------


class TestCheckin:
    @pytest.fixture
    def enrolled(self):
        challenge = ChallengeFactory()  # window 05:00-09:00
        user = UserFactory()
        fund(user, 100)
        join(user, challenge, 10)  # on 2026-03-01: checks in on 03-02
        return challenge, user

    @pytest.mark.parametrize(
        ("when", "counts"),
        [
            (at(2026, 3, 2, 4, 59, 59, 999999), False),
            (at(2026, 3, 2, 5, 0), True),
            (at(2026, 3, 2, 6, 30), True),
            (at(2026, 3, 2, 9, 0, 59, 999999), True),
            (at(2026, 3, 2, 9, 1), False),
            (at(2026, 3, 2, 9, 30), False),
        ],
    )
    def test_window_edges(self, enrolled, when, counts):
        challenge, user = enrolled
        if counts:
            checkin, created = check_in(user, challenge, when)
            assert created and checkin.local_date == dt.date(2026, 3, 2)
            assert Entry.objects.get().checkins == 1
        else:
            error = error_of(lambda: check_in(user, challenge, when))
            assert (error.code, error.status) == ("checkin_window_closed", 409)
            assert not CheckIn.objects.exists()

    def test_the_day_before_the_round_has_no_check_in(self, enrolled):
        challenge, user = enrolled
        # 03-01 06:30 is inside a window, but the user's round checks in on 03-02.
        assert error_of(lambda: check_in(user, challenge, at(2026, 3, 1, 6, 30))).code == "not_enrolled"

    def test_a_repeat_returns_the_same_check_in(self, enrolled):
        challenge, user = enrolled
        first, created = check_in(user, challenge, at(2026, 3, 2, 6, 30))
        again, created_again = check_in(user, challenge, at(2026, 3, 2, 7, 0))
        assert created and not created_again
        assert again.pk == first.pk and again.checked_in_at == at(2026, 3, 2, 6, 30)
        assert CheckIn.objects.count() == 1
        assert Entry.objects.get().checkins == 1

    def test_not_enrolled(self):
        challenge = ChallengeFactory()
        error = error_of(lambda: check_in(UserFactory(), challenge, at(2026, 3, 2, 6, 30)))
        assert (error.code, error.status) == ("not_enrolled", 404)

    def test_the_first_check_in_completes_the_first_checkin_task(self, enrolled):
        challenge, user = enrolled
        PointsTask.objects.create(code="first_checkin", title="完成首次打卡", points=20)
        check_in(user, challenge, at(2026, 3, 2, 6, 30))
        assert TaskCompletion.objects.filter(user=user, task__code="first_checkin").count() == 1
        assert balance(user) == 90 + 20

    def test_the_day_cutoff_lets_a_night_owl_check_in_after_midnight(self):
        # Business days start at 04:00; the window 22:00-01:30 runs across midnight.
        challenge = ChallengeFactory(day_cutoff=dt.time(4, 0), window_start=dt.time(22, 0), window_end=dt.time(1, 30))
        user = UserFactory()
        fund(user, 100)
        # 03-02 02:00 is still business day 03-01: the round joined now checks in on 03-02.
        entry = join(user, challenge, 10, at(2026, 3, 2, 2, 0))
        assert entry.round.start_date == dt.date(2026, 3, 2)
        # 03-03 01:00 belongs to business day 03-02: it counts for the round.
        checkin, created = check_in(user, challenge, at(2026, 3, 3, 1, 0))
        assert created and checkin.local_date == dt.date(2026, 3, 2)

    def test_the_cutoff_window_edges(self):
        challenge = ChallengeFactory(day_cutoff=dt.time(4, 0), window_start=dt.time(22, 0), window_end=dt.time(1, 30))
        user = UserFactory()
        fund(user, 100)
        join(user, challenge, 10, at(2026, 3, 1, 12))  # round of business day 03-02
        too_early = at(2026, 3, 2, 21, 59, 59)
        too_late = at(2026, 3, 3, 1, 31)
        assert error_of(lambda: check_in(user, challenge, too_early)).code == "checkin_window_closed"
        assert error_of(lambda: check_in(user, challenge, too_late)).code == "checkin_window_closed"
        assert check_in(user, challenge, at(2026, 3, 3, 1, 30, 59))[0].local_date == dt.date(2026, 3, 2)

    def test_a_challenge_in_another_time_zone_uses_its_own_days(self):
        challenge = ChallengeFactory(timezone="America/New_York")
        user = UserFactory()
        fund(user, 100)
        # 2026-03-02 01:00 in Shanghai is 03-01 12:00 in New York: the round checks in on NY's 03-02.
        entry = join(user, challenge, 10, at(2026, 3, 2, 1, 0))
        assert entry.round.start_date == dt.date(2026, 3, 2)
        # 06:30 in New York on 03-02 is 19:30 in Shanghai.
        checkin, created = check_in(user, challenge, at(2026, 3, 2, 19, 30))
        assert created and checkin.local_date == dt.date(2026, 3, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_check_ins_of_one_user_make_one_row():
    challenge = ChallengeFactory()
    user = UserFactory()
    fund(user, 100)
    join(user, challenge, 10)
    barrier = threading.Barrier(20)
    results, errors = [], []

    def tap():
        try:
            barrier.wait()
            results.append(checkin_create(user=user, challenge=challenge))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(at(2026, 3, 2, 6, 30), tick=False):
        threads = [threading.Thread(target=tap) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert CheckIn.objects.count() == 1
    assert {checkin.pk for checkin, _ in results} == {CheckIn.objects.get().pk}
    assert sum(created for _, created in results) == 1
    assert Entry.objects.get().checkins == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_later_check_in_does_not_wait_for_the_issuance_lock():
    """The first check-in completes the task and pays the inviter (both lock issuance); every later
    check-in finds them done without that lock, so a rush does not queue on the issuance row."""
    from points.services.ledger import account_issuance
    from referral.models import Reward, RewardRule
    from tests.referral.factories import RuleFactory, invite, inviter_with_code

    PointsTask.objects.create(code="first_checkin", title="完成首次打卡", points=20)
    RuleFactory(trigger=RewardRule.Trigger.FIRST_CHECKIN, requires_phone=False, inviter_points=30, invitee_points=0)
    inviter, _profile = inviter_with_code()
    user = invite(inviter)
    challenge = MultiDayChallengeFactory()
    fund(user, 100)
    join(user, challenge, 10)
    days = Round.objects.get().start_date, Round.objects.get().start_date + dt.timedelta(days=1)
    check_in(user, challenge, at(days[0].year, days[0].month, days[0].day, 21, 0))
    assert TaskCompletion.objects.filter(user=user).count() == 1 and Reward.objects.count() == 1

    results = while_held(
        lambda: list(Account.objects.select_for_update().filter(pk=account_issuance().pk)),
        lambda: check_in(user, challenge, at(days[1].year, days[1].month, days[1].day, 21, 0)),
    )[1:]

    assert len(results) == 1 and isinstance(results[0], tuple), results
    assert results[0][1] is True and CheckIn.objects.count() == 2
    assert TaskCompletion.objects.filter(user=user).count() == 1 and Reward.objects.count() == 1


# -- makeup -------------------------------------------------------------------------------------


class TestMakeup:
    @pytest.fixture
    def running(self):
        """A 5-day round 03-02..03-06; the user checked in on 03-02 and missed 03-03."""
        challenge = MultiDayChallengeFactory()
        user = UserFactory()
        fund(user, 100)
        join(user, challenge, 10)
        check_in(user, challenge, at(2026, 3, 2, 21, 0))
        return challenge, user

    def makeup(self, user, challenge, day, when=None):
        with time_machine.travel(when or at(2026, 3, 4, 12), tick=False):
            return checkin_makeup(user=user, challenge=challenge, day=day)

    def test_a_missed_day_is_made_up_for_its_cost(self, running):
        challenge, user = running
        checkin = self.makeup(user, challenge, dt.date(2026, 3, 3))
        assert checkin.makeup and checkin.local_date == dt.date(2026, 3, 3)
        entry = Entry.objects.get()
        assert (entry.checkins, entry.makeups_used) == (2, 1)
        assert balance(user) == 100 - 10 - 20
        assert Account.objects.get(code="sink").balance == 20
        assert checkin.makeup_txn.kind == Transaction.Kind.MAKEUP

    @pytest.mark.parametrize(
        ("day", "code"),
        [
            (dt.date(2026, 3, 4), "invalid_makeup_date"),  # today
            (dt.date(2026, 3, 5), "invalid_makeup_date"),  # the future
            (dt.date(2026, 3, 2), "already_checked_in"),
            (dt.date(2026, 3, 1), "not_enrolled"),  # before the round
        ],
    )
    def test_refused_days(self, running, day, code):
        challenge, user = running
        assert error_of(lambda: self.makeup(user, challenge, day)).code == code
        assert Entry.objects.get().makeups_used == 0
        assert balance(user) == 90

    def test_not_for_the_last_day_of_the_round(self, running):
        challenge, user = running
        # On the last day's evening the round is still running, but its last day cannot be made up
        # (nor can it after it ended).
        error = error_of(lambda: self.makeup(user, challenge, dt.date(2026, 3, 6), at(2026, 3, 7, 12)))
        assert error.code == "makeup_not_allowed"

    def test_not_for_days_before_the_user_joined(self, running):
        challenge, user = running
        Entry.objects.update(joined_date=dt.date(2026, 3, 3))
        assert error_of(lambda: self.makeup(user, challenge, dt.date(2026, 3, 2))).code in (
            "invalid_makeup_date",
            "already_checked_in",
        )
        CheckIn.objects.filter(local_date=dt.date(2026, 3, 2)).delete()
        assert error_of(lambda: self.makeup(user, challenge, dt.date(2026, 3, 2))).code == "invalid_makeup_date"

    def test_the_limit(self, running):
        challenge, user = running
        when = at(2026, 3, 5, 12)
        self.makeup(user, challenge, dt.date(2026, 3, 3), when)
        self.makeup(user, challenge, dt.date(2026, 3, 4), when)
        error = error_of(lambda: self.makeup(user, challenge, dt.date(2026, 3, 3), when))
        assert error.code in ("already_checked_in", "no_makeup_left")
        challenge.makeup_limit = 2
        Entry.objects.update(makeups_used=2)
        CheckIn.objects.filter(local_date=dt.date(2026, 3, 4)).delete()
        error = error_of(lambda: self.makeup(user, challenge, dt.date(2026, 3, 4), when))
        assert (error.code, error.status) == ("no_makeup_left", 409)

    def test_not_enough_points_changes_nothing(self, running):
        challenge, user = running
        challenge.makeup_cost = 1000
        challenge.save()
        assert error_of(lambda: self.makeup(user, challenge, dt.date(2026, 3, 3))).code == "insufficient_points"
        assert Entry.objects.get().makeups_used == 0
        assert not CheckIn.objects.filter(makeup=True).exists()

    def test_a_daily_challenge_has_no_makeup(self):
        challenge = ChallengeFactory(makeup_limit=3)
        user = UserFactory()
        error = error_of(lambda: self.makeup(user, challenge, dt.date(2026, 3, 1), at(2026, 3, 2, 12)))
        assert error.code == "makeup_not_allowed"
