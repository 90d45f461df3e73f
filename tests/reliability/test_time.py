"""Time: a round spanning a month end, a round spanning a daylight-saving change, and the nightly
beat (a UTC crontab) against business days in each challenge's own zone.

Existing time tests this file does not repeat (see docs/reliability.md): the day cutoff and the
window edges, a challenge in another zone (tests/checkin/test_checkins.py), the nightly crontab at
00:10 Shanghai (tests/checkin/test_settlement.py), sign-in streaks across midnight
(tests/points/test_signin.py).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from checkin.models import CheckIn, Entry, Settlement
from checkin.services import challenge_join, checkin_create, round_settle
from checkin.services.settlement import rounds_due
from core.exceptions import ApplicationError
from tests.checkin.factories import MultiDayChallengeFactory, at, balance, fund
from tests.factories import UserFactory
from tests.reliability.helpers import assert_ledger_clean

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _beat_firings(first_day: dt.date, days: int):
    """The instants the nightly crontab "10 16 * * *" (CELERY_TIMEZONE=UTC) fires."""
    return [dt.datetime.combine(first_day + dt.timedelta(days=n), dt.time(16, 10), UTC) for n in range(days)]


def _check_in(user, challenge, instant):
    with time_machine.travel(instant, tick=False):
        return checkin_create(user=user, challenge=challenge)


def test_a_round_spanning_a_month_end_counts_each_local_day_and_settles_after_its_last_window():
    # Given a 5-day round 01-29..02-02 (window 20:00-23:59 Shanghai), 3 days required
    challenge = MultiDayChallengeFactory(start_date=dt.date(2026, 1, 29), duration_days=5, required_days=3)
    winner, loser = UserFactory(), UserFactory()
    for user in (winner, loser):
        fund(user, 100)
    with time_machine.travel(at(2026, 1, 28, 12), tick=False):
        challenge_join(user=winner, challenge=challenge, stake=50)
        challenge_join(user=loser, challenge=challenge, stake=50)

    # When the winner checks in in the last second of 01-31, the first of 02-01 and on 02-02,
    # and the loser only on both sides of the month end
    _check_in(winner, challenge, at(2026, 1, 31, 23, 59, 59))
    _check_in(winner, challenge, at(2026, 2, 1, 20, 0, 0))
    _check_in(winner, challenge, at(2026, 2, 2, 21, 0))
    _check_in(loser, challenge, at(2026, 1, 31, 20, 0))
    _check_in(loser, challenge, at(2026, 2, 1, 23, 59, 59))
    with pytest.raises(ApplicationError) as refused:
        _check_in(loser, challenge, at(2026, 2, 2, 0, 0, 0))  # midnight: outside 02-02's window
    assert refused.value.code == "checkin_window_closed"

    # Then every check-in sits on its own local day across the month end
    days = sorted(CheckIn.objects.filter(entry__user=winner).values_list("local_date", flat=True))
    assert days == [dt.date(2026, 1, 31), dt.date(2026, 2, 1), dt.date(2026, 2, 2)]
    # And the round is not due until the last window (02-02 23:59 Shanghai) has closed
    round_id = Entry.objects.get(user=winner).round_id
    assert rounds_due(at=at(2026, 2, 2, 23, 59, 30)) == []
    assert rounds_due(at=at(2026, 2, 3, 0, 0, 1)) == [round_id]
    with time_machine.travel(at(2026, 2, 3, 0, 10), tick=False):
        settlement = round_settle(round_id=round_id)
    assert settlement.state == Settlement.State.DONE
    assert balance(winner) == 50 + 50 + 50 + 100 and balance(loser) == 50  # both stakes and the bonus
    assert_ledger_clean()


def test_a_round_spanning_a_daylight_saving_change_keeps_one_check_in_per_local_day():
    # New York springs forward on 2026-03-08: 20:30 local is 01:30 UTC before, 00:30 UTC after.
    new_york = ZoneInfo("America/New_York")
    challenge = MultiDayChallengeFactory(
        timezone="America/New_York", start_date=dt.date(2026, 3, 6), duration_days=5, required_days=5
    )
    user = UserFactory()
    fund(user, 100)
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=new_york), tick=False):
        challenge_join(user=user, challenge=challenge, stake=20)

    for day in range(6, 11):
        checkin, created = _check_in(user, challenge, dt.datetime(2026, 3, day, 20, 30, tzinfo=new_york))
        assert created and checkin.local_date == dt.date(2026, 3, day)

    assert Entry.objects.get(user=user).checkins == 5
    assert CheckIn.objects.filter(entry__user=user).count() == 5


@pytest.mark.parametrize(
    ("zone", "first_due_firing"),
    [
        # 02-02 23:59 Shanghai closes at 15:59 UTC: the 16:10 UTC firing the same UTC day settles it.
        ("Asia/Shanghai", dt.datetime(2026, 2, 2, 16, 10, tzinfo=UTC)),
        # 02-02 23:59 New York closes at 04:59 UTC on 02-03: the 16:10 UTC firing of 02-03.
        ("America/New_York", dt.datetime(2026, 2, 3, 16, 10, tzinfo=UTC)),
        # 02-02 23:59 in Kiritimati (UTC+14) closes at 09:59 UTC on 02-02: the 16:10 firing of 02-02.
        ("Pacific/Kiritimati", dt.datetime(2026, 2, 2, 16, 10, tzinfo=UTC)),
    ],
)
def test_the_utc_beat_settles_a_round_at_its_first_firing_after_the_zones_last_window(zone, first_due_firing):
    challenge = MultiDayChallengeFactory(
        timezone=zone, start_date=dt.date(2026, 1, 29), duration_days=5, required_days=1
    )
    user = UserFactory()
    fund(user, 100)
    local = ZoneInfo(zone)
    with time_machine.travel(dt.datetime(2026, 1, 28, 12, tzinfo=local), tick=False):
        entry = challenge_join(user=user, challenge=challenge, stake=10)
    _check_in(user, challenge, dt.datetime(2026, 2, 2, 21, 0, tzinfo=local))

    due = [firing for firing in _beat_firings(dt.date(2026, 1, 30), 6) if entry.round_id in rounds_due(at=firing)]

    assert due[0] == first_due_firing
    with time_machine.travel(due[0], tick=False):
        assert round_settle(round_id=entry.round_id).state == Settlement.State.DONE
    assert balance(user) == 100 + 100  # the stake back plus the bonus: the only winner
    assert rounds_due(at=due[0] + dt.timedelta(days=1)) == []
    assert_ledger_clean()
