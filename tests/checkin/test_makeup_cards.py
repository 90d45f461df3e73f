"""Extra makeup cards, a level privilege (checkin/services/makeup_cards.py, docs/membership.md):
makeups beyond a challenge's limit, counted per calendar month across the member's challenges."""

import datetime as dt

import pytest
import time_machine

from checkin.models import Entry
from checkin.services import challenge_join, checkin_makeup
from checkin.services.makeup_cards import makeup_cards_used
from core.exceptions import ApplicationError
from points.models import Growth
from points.services.audit import ledger_audit
from tests.checkin.factories import MultiDayChallengeFactory, at, balance, fund
from tests.factories import UserFactory
from tests.points.factories import LevelFactory

pytestmark = pytest.mark.django_db


def code_of(call) -> str:
    with pytest.raises(ApplicationError) as info:
        call()
    return info.value.code


def makeup(user, challenge, day, when):
    with time_machine.travel(when, tick=False):
        return checkin_makeup(user=user, challenge=challenge, day=day)


def enrolled(user):
    """A 14-day round from 2026-03-02 (03-02..03-15), joined on 03-01 for 10 points: one makeup of its own."""
    challenge = MultiDayChallengeFactory(duration_days=14, required_days=10, makeup_limit=1, makeup_cost=5)
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        challenge_join(user=user, challenge=challenge, stake=10)
    return challenge


@pytest.fixture
def member():
    """A member of 白银, whose level gives 2 extra makeup cards a month, with 200 points."""
    LevelFactory(name="青铜", threshold=0)
    LevelFactory(name="白银", threshold=500, extra_makeups_per_month=2)
    user = UserFactory()
    Growth.objects.create(user=user, total=600)
    fund(user, 200)
    return user


def test_a_level_gives_extra_makeups_beyond_the_challenges_limit_each_month(member):
    challenge = enrolled(member)
    when = at(2026, 3, 10, 12)

    makeup(member, challenge, dt.date(2026, 3, 2), when)  # the challenge's own
    makeup(member, challenge, dt.date(2026, 3, 3), when)  # card 1
    makeup(member, challenge, dt.date(2026, 3, 4), when)  # card 2
    assert code_of(lambda: makeup(member, challenge, dt.date(2026, 3, 5), when)) == "no_makeup_left"

    assert Entry.objects.get(user=member).makeups_used == 3
    assert makeup_cards_used(user=member, at=when) == 2
    assert balance(member) == 200 - 10 - 3 * 5  # every makeup costs the challenge's price
    assert ledger_audit().ok


def test_without_the_privilege_the_challenges_limit_holds():
    LevelFactory(name="青铜", threshold=0)
    user = UserFactory()
    fund(user, 200)
    challenge = enrolled(user)
    when = at(2026, 3, 10, 12)

    makeup(user, challenge, dt.date(2026, 3, 2), when)
    assert code_of(lambda: makeup(user, challenge, dt.date(2026, 3, 3), when)) == "no_makeup_left"
    assert Entry.objects.get(user=user).makeups_used == 1


def test_the_cards_are_counted_across_challenges(member):
    first, second = enrolled(member), enrolled(member)
    when = at(2026, 3, 10, 12)

    makeup(member, first, dt.date(2026, 3, 2), when)  # first's own
    makeup(member, first, dt.date(2026, 3, 3), when)  # card 1
    makeup(member, second, dt.date(2026, 3, 2), when)  # second's own: no card
    makeup(member, second, dt.date(2026, 3, 3), when)  # card 2
    assert code_of(lambda: makeup(member, first, dt.date(2026, 3, 4), when)) == "no_makeup_left"
    assert code_of(lambda: makeup(member, second, dt.date(2026, 3, 4), when)) == "no_makeup_left"

    assert makeup_cards_used(user=member, at=when) == 2


def test_a_new_calendar_month_brings_new_cards(member):
    # A round across the month's end: 03-25..04-07.
    challenge = MultiDayChallengeFactory(
        start_date=dt.date(2026, 3, 25), duration_days=14, required_days=10, makeup_limit=1, makeup_cost=0
    )
    with time_machine.travel(at(2026, 3, 24, 12), tick=False):
        challenge_join(user=member, challenge=challenge, stake=10)
    march = at(2026, 3, 31, 23, 0)  # Shanghai time: still March there (15:00 UTC)

    for day in (25, 26, 27):  # its own, card 1, card 2
        makeup(member, challenge, dt.date(2026, 3, day), march)
    assert code_of(lambda: makeup(member, challenge, dt.date(2026, 3, 28), march)) == "no_makeup_left"

    april = at(2026, 4, 1, 0, 30)  # 16:30 UTC on 03-31: April in Shanghai
    makeup(member, challenge, dt.date(2026, 3, 28), april)
    makeup(member, challenge, dt.date(2026, 3, 29), april)
    assert code_of(lambda: makeup(member, challenge, dt.date(2026, 3, 30), april)) == "no_makeup_left"

    assert (makeup_cards_used(user=member, at=march), makeup_cards_used(user=member, at=april)) == (2, 2)
    assert Entry.objects.get(user=member).makeups_used == 5


def test_a_challenge_without_makeups_stays_without(member):
    closed = MultiDayChallengeFactory(duration_days=14, required_days=10, makeup_limit=0)
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        challenge_join(user=member, challenge=closed, stake=10)
    code = code_of(lambda: makeup(member, closed, dt.date(2026, 3, 2), at(2026, 3, 10, 12)))
    assert code == "makeup_not_allowed"
