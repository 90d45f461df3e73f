import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from accounts.selectors import user_profile
from core.models import User
from points.models import GrowthEntry
from points.selectors import growth_total, level_for, points_summary
from points.services.growth import growth_add
from tests.factories import UserFactory
from tests.points.factories import LevelFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def test_growth_adds_and_is_idempotent_on_key(user):
    assert growth_add(user=user, amount=30, key=f"a:{user.pk}") == 30
    assert growth_add(user=user, amount=30, key=f"a:{user.pk}") == 0
    assert growth_add(user=user, amount=5, key=f"b:{user.pk}", reason="share") == 5

    assert growth_total(user=user) == 35
    assert GrowthEntry.objects.filter(user=user).count() == 2


def test_non_positive_amount_adds_nothing(user):
    assert growth_add(user=user, amount=0, key="zero") == 0
    assert growth_add(user=user, amount=-10, key="negative") == 0
    assert growth_total(user=user) == 0
    assert not GrowthEntry.objects.exists()


def test_daily_cap_cuts_and_resets_at_local_midnight(user, settings):
    settings.POINTS_GROWTH_DAILY_CAP = 100
    with time_machine.travel(dt.datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI), tick=False):
        assert growth_add(user=user, amount=80, key="d1") == 80
        assert growth_add(user=user, amount=50, key="d2") == 20
        assert growth_add(user=user, amount=10, key="d3") == 0
    # The capped key stays used: granting it again tomorrow adds nothing.
    with time_machine.travel(dt.datetime(2026, 11, 24, 0, 30, tzinfo=SHANGHAI), tick=False):
        assert growth_add(user=user, amount=10, key="d3") == 0
        assert growth_add(user=user, amount=70, key="d4") == 70

    assert growth_total(user=user) == 170


def test_cap_is_per_user(user, settings):
    settings.POINTS_GROWTH_DAILY_CAP = 10
    other = UserFactory()

    assert growth_add(user=user, amount=10, key="u1") == 10
    assert growth_add(user=other, amount=10, key="u2") == 10


def test_zero_cap_means_no_cap(user, settings):
    settings.POINTS_GROWTH_DAILY_CAP = 0
    assert growth_add(user=user, amount=100_000, key="big") == 100_000


@given(st.lists(st.integers(min_value=-5, max_value=150), max_size=15))
def test_growth_only_grows_and_respects_the_cap(amounts):
    user = User.objects.create(username=f"wx_{uuid.uuid4().hex}")
    totals = [growth_total(user=user)]
    for n, amount in enumerate(amounts):
        growth_add(user=user, amount=amount, key=f"h:{user.pk}:{n}")
        totals.append(growth_total(user=user))
    assert totals == sorted(totals)
    assert totals[-1] <= 200  # the default cap, all on one day
    assert totals[-1] == min(200, sum(max(a, 0) for a in amounts))


def test_levels_by_threshold(user):
    for name, threshold in [("青铜", 0), ("白银", 500), ("黄金", 2000), ("钻石", 5000)]:
        LevelFactory(name=name, threshold=threshold)

    assert [level_for(growth=g).name for g in (0, 499, 500, 1999, 2000, 4999, 5000, 10**6)] == [
        "青铜",
        "青铜",
        "白银",
        "白银",
        "黄金",
        "黄金",
        "钻石",
        "钻石",
    ]


def test_no_level_below_the_lowest_threshold(user):
    LevelFactory(name="白银", threshold=500)

    assert level_for(growth=10) is None
    assert points_summary(user=user) == {"points": 0, "growth": 0, "level": None}


def test_me_shows_points_growth_and_level(user, settings):
    settings.POINTS_GROWTH_DAILY_CAP = 0
    LevelFactory(name="青铜", threshold=0)
    LevelFactory(name="白银", threshold=500)
    growth_add(user=user, amount=600, key="me")

    profile = user_profile(user=user)

    assert (profile["points"], profile["growth"], profile["level"]) == (0, 600, "白银")
