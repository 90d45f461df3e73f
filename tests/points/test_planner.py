"""The level planner: exact thresholds for known inputs, the times to each level, and the admin
tool that proposes (changing nothing) and applies only on confirmation."""

import datetime as dt
import json
from fractions import Fraction
from itertools import pairwise

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import strategies as st

from core.clock import local_today
from core.exceptions import ApplicationError
from mall.models import Product
from points.models import GrowthEntry, Level
from points.services.planner import (
    Action,
    Curve,
    configured_actions,
    curve_shares,
    days_to_reach,
    levels_apply,
    plan_history,
    plan_levels,
    plan_problem,
    planned_daily_growth,
    thresholds_for,
    typical_daily_growth,
)
from tests.factories import StaffFactory, UserFactory
from tests.points.factories import LevelFactory, PointsTaskFactory, SigninRewardFactory

# -- pure computation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("curve", "parameter", "top", "levels", "round_to", "expected"),
    [
        # (2^i - 1) / (2^4 - 1) x 1500
        (Curve.EXPONENTIAL, None, 1500, 5, 1, [0, 100, 300, 700, 1500]),
        # ratio 3: (3^i - 1) / 26 x 2600
        (Curve.EXPONENTIAL, Fraction(3), 2600, 4, 1, [0, 200, 800, 2600]),
        # ratio 1.5 over 3 steps: (1.5^i - 1) / 2.375 x 1000 = 0, 210.5, 526.3, 1000, to tens
        (Curve.EXPONENTIAL, Fraction(3, 2), 1000, 4, 10, [0, 210, 530, 1000]),
        # (i / 4)^2 x 1600
        (Curve.POWER, None, 1600, 5, 1, [0, 100, 400, 900, 1600]),
        # (i / 3)^3 x 2700
        (Curve.POWER, Fraction(3), 2700, 4, 1, [0, 100, 800, 2700]),
        (Curve.POWER, Fraction(1), 900, 4, 1, [0, 300, 600, 900]),  # linear
        # steps 1, 2, 3, 5 of 11 x 1100
        (Curve.FIBONACCI, None, 1100, 5, 1, [0, 100, 300, 600, 1100]),
        # steps 1, 2, 3, 5, 8, 13 of 32 x 3200, to hundreds
        (Curve.FIBONACCI, None, 3200, 7, 100, [0, 100, 300, 600, 1100, 1900, 3200]),
    ],
)
def test_thresholds_for_known_inputs(curve, parameter, top, levels, round_to, expected):
    assert thresholds_for(top=top, levels=levels, curve=curve, parameter=parameter, round_to=round_to) == expected


def test_thresholds_stay_strictly_increasing_when_rounding_would_merge_them():
    # 10 growth over 8 exponential levels: the low shares round to the same value.
    assert thresholds_for(top=10, levels=8, curve=Curve.EXPONENTIAL) == [0, 1, 2, 3, 4, 5, 6, 10]
    assert thresholds_for(top=30, levels=4, curve=Curve.POWER, parameter=Fraction(3), round_to=10) == [0, 10, 20, 30]


@given(
    top=st.integers(0, 10**7),
    levels=st.integers(2, 30),
    curve=st.sampled_from(list(Curve)),
    parameter=st.sampled_from([None, Fraction(3, 2), Fraction(2), Fraction(5, 2), Fraction(1, 2)]),
    round_to=st.sampled_from([1, 5, 10, 100]),
)
def test_thresholds_start_at_zero_and_increase_strictly(top, levels, curve, parameter, round_to):
    thresholds = thresholds_for(top=top, levels=levels, curve=curve, parameter=parameter, round_to=round_to)
    assert len(thresholds) == levels and thresholds[0] == 0
    assert all(b > a for a, b in pairwise(thresholds))
    assert all(t % round_to == 0 for t in thresholds)
    assert plan_problem([(f"L{n}", t) for n, t in enumerate(thresholds)]) == ""


def test_curve_shares_end_at_one():
    for curve in Curve:
        shares = curve_shares(levels=6, curve=curve)
        assert shares[0] == 0 and shares[-1] == 1
    with pytest.raises(ValueError):
        curve_shares(levels=1, curve=Curve.POWER)
    with pytest.raises(ValueError):
        curve_shares(levels=3, curve="zigzag")


def test_planned_daily_growth_is_the_weighted_sum_under_the_cap():
    actions = [
        Action("sign-in", 5, Fraction(1)),
        Action("check-in", 10, Fraction(1)),
        Action("invite", 50, Fraction(1, 10)),  # one friend every ten days
    ]
    assert planned_daily_growth(actions=actions, daily_cap=0) == 20
    assert planned_daily_growth(actions=actions, daily_cap=100) == 20
    assert planned_daily_growth(actions=actions, daily_cap=12) == 12


def test_plan_levels_from_weights_cap_and_horizon():
    # 20 a day for 3 years = 21900 at the top; power 2 over 5 levels; a typical member earns 4 a day.
    plan = plan_levels(
        actions=[Action("sign-in", 5, Fraction(1)), Action("check-in", 15, Fraction(1))],
        daily_cap=50,
        horizon_days=1095,
        levels=5,
        curve=Curve.POWER,
        round_to=100,
        typical=Fraction(4),
    )
    assert plan.top == 21900
    assert plan.thresholds == [0, 1400, 5500, 12300, 21900]  # 1368.75, 5475, 12318.75 to hundreds
    assert [lvl.days_planned for lvl in plan.levels] == [0, 70, 275, 615, 1095]
    assert [lvl.days_at_cap for lvl in plan.levels] == [0, 28, 110, 246, 438]
    assert [lvl.days_typical for lvl in plan.levels] == [0, 350, 1375, 3075, 5475]


def test_plan_levels_without_a_cap_or_history():
    plan = plan_levels(
        actions=[Action("read", 3, Fraction(1, 2))], daily_cap=0, horizon_days=100, levels=3, curve=Curve.FIBONACCI
    )
    assert plan.daily_growth == Fraction(3, 2) and plan.top == 150
    assert plan.thresholds == [0, 50, 150]
    assert [lvl.days_at_cap for lvl in plan.levels] == [0, None, None]
    assert [lvl.days_typical for lvl in plan.levels] == [0, None, None]
    with pytest.raises(ValueError):
        plan_levels(actions=[], daily_cap=10, horizon_days=10, levels=3, curve=Curve.POWER)


def test_days_to_reach_rounds_up_to_whole_days():
    assert days_to_reach(100, Fraction(30)) == 4
    assert days_to_reach(90, Fraction(30)) == 3
    assert days_to_reach(0, None) == 0
    assert days_to_reach(10, Fraction(0)) is None


def test_typical_daily_growth_is_the_lower_median_per_day():
    assert typical_daily_growth([], days=30) is None
    assert typical_daily_growth([0, 0], days=30) is None
    assert typical_daily_growth([300, 30, 90], days=30) == 3
    assert typical_daily_growth([30, 90, 300, 600], days=30) == 3  # the lower middle one


# -- reads and the write -------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_history_sums_each_members_growth_in_the_window():
    today = local_today()
    a, b = UserFactory(), UserFactory()
    for n, (user, days_ago, amount) in enumerate(
        [(a, 1, 10), (a, 2, 20), (a, 31, 500), (b, 5, 7), (b, 0, 1000)]  # 31 days ago and today: out
    ):
        GrowthEntry.objects.create(
            user=user, key=f"h{n}", amount=amount, local_date=today - dt.timedelta(days=days_ago)
        )
    assert sorted(plan_history(today=today)) == [7, 30]


@pytest.mark.django_db
def test_configured_actions_read_the_growth_rules():
    PointsTaskFactory(title="阅读", growth=2, frequency="daily")
    PointsTaskFactory(title="周任务", growth=14, frequency="weekly")
    PointsTaskFactory(title="新人", growth=10, frequency="once")
    PointsTaskFactory(title="邀请", growth=5, frequency="unlimited", daily_cap=3)
    PointsTaskFactory(title="无成长", growth=0)
    for day in range(1, 8):
        SigninRewardFactory(day=day, growth=1 if day < 7 else 8)  # 14 over 7 days: 2 a day
    actions = {a.name: (a.growth, a.per_day) for a in configured_actions()}
    assert actions == {
        "阅读": (2, 1),
        "周任务": (14, Fraction(1, 7)),
        "新人": (10, 0),
        "邀请": (5, 3),
        gettext("Daily sign-in"): (2, 1),
    }


@pytest.mark.django_db
def test_levels_apply_updates_creates_and_keeps_names_in_order():
    bronze = LevelFactory(name="青铜", threshold=0)
    silver = LevelFactory(name="白银", threshold=500)
    # The new thresholds cross the old ones (600 < 2000 was silver's old place): parked first.
    assert levels_apply(levels=[("青铜", 0), ("白银", 100), ("黄金", 500), ("钻石", 2000)]) == (2, 2, 0)
    assert list(Level.objects.values_list("name", "threshold")) == [
        ("青铜", 0),
        ("白银", 100),
        ("黄金", 500),
        ("钻石", 2000),
    ]
    silver.refresh_from_db()
    assert silver.threshold == 100 and Level.objects.get(pk=bronze.pk).threshold == 0


@pytest.mark.django_db
def test_levels_apply_refuses_a_bad_plan_and_changes_nothing():
    LevelFactory(name="青铜", threshold=0)
    LevelFactory(name="白银", threshold=500)
    for bad in (
        [("a", 10), ("b", 20)],
        [("a", 0), ("b", 0)],
        [("a", 0), ("b", 50), ("c", 40)],
        [("a", 0)],
        [("", 0), ("b", 1)],
    ):
        with pytest.raises(ApplicationError) as caught:
            levels_apply(levels=bad)
        assert caught.value.code == "level_plan_invalid"
    assert list(Level.objects.values_list("threshold", flat=True)) == [0, 500]


@pytest.mark.django_db
def test_levels_apply_deletes_extra_levels_unless_a_product_needs_one():
    LevelFactory(name="青铜", threshold=0)
    LevelFactory(name="白银", threshold=500)
    gold = LevelFactory(name="黄金", threshold=2000)
    product = Product.objects.create(name="专属礼", price=10, level_required=gold)
    with pytest.raises(ApplicationError) as caught:
        levels_apply(levels=[("一级", 0), ("二级", 300)])
    assert caught.value.code == "level_in_use"
    assert list(Level.objects.values_list("name", "threshold")) == [("青铜", 0), ("白银", 500), ("黄金", 2000)]
    product.delete()
    assert levels_apply(levels=[("一级", 0), ("二级", 300)]) == (2, 0, 1)
    assert list(Level.objects.values_list("name", "threshold")) == [("一级", 0), ("二级", 300)]


# -- the admin tool ------------------------------------------------------------------------------


@pytest.fixture
def operator_client(db):
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


def proposal(**overrides):
    data = {
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "30",
        "actions-0-name": "签到",
        "actions-0-growth": "5",
        "actions-0-per_day": "1",
        "actions-1-name": "打卡",
        "actions-1-growth": "10",
        "actions-1-per_day": "0.5",
        "actions-2-name": "",
        "daily_cap": "100",
        "horizon_days": "1000",
        "levels": "5",
        "curve": "exponential",
        "parameter": "",
        "round_to": "10",
        "names": "",
    }
    return {**data, **overrides}


def test_planner_page_is_filled_with_the_configured_rules(operator_client):
    PointsTaskFactory(title="阅读科普", growth=2, frequency="daily")
    url = reverse("admin:points_level_planner")
    assert url == "/admin/points/level/planner/"
    page = operator_client.get(url).content.decode()
    assert 'value="阅读科普"' in page
    assert url in operator_client.get("/admin/points/level/").content.decode()  # linked from the list


def test_propose_changes_nothing_and_confirm_applies(operator_client):
    LevelFactory(name="青铜", threshold=0)
    LevelFactory(name="白银", threshold=500)
    user = UserFactory()
    for n in range(3):  # a member with 60 growth in the window: 2 a day
        GrowthEntry.objects.create(
            user=user, key=f"g{n}", amount=20, local_date=local_today() - dt.timedelta(days=n + 1)
        )
    url = reverse("admin:points_level_planner")

    # 10 a day for 1000 days: top 10000; exponential (2^i - 1) / 15.
    response = operator_client.post(url, proposal())

    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.thresholds == [0, 670, 2000, 4670, 10000]
    assert [lvl.days_typical for lvl in plan.levels] == [0, 335, 1000, 2335, 5000]
    assert list(Level.objects.values_list("name", "threshold")) == [("青铜", 0), ("白银", 500)]  # nothing yet
    page = response.content.decode()
    assert 'id="planner-confirm"' in page and "4670" in page
    sent = json.loads(response.context["confirm"].initial["plan"])
    names = [gettext("Level %(n)d") % {"n": n} for n in (3, 4, 5)]  # new levels, named for their place
    assert sent == [["青铜", 0], ["白银", 670], [names[0], 2000], [names[1], 4670], [names[2], 10000]]

    response = operator_client.post(url, {"plan": json.dumps(sent, ensure_ascii=False)})

    assert response.status_code == 302 and response["Location"] == reverse("admin:points_level_changelist")
    assert list(Level.objects.values_list("name", "threshold")) == [tuple(row) for row in sent]


def test_propose_with_names_and_bad_input(operator_client):
    url = reverse("admin:points_level_planner")
    response = operator_client.post(url, proposal(names="新手\n进阶\n高手", levels="3", curve="fibonacci"))
    assert json.loads(response.context["confirm"].initial["plan"]) == [["新手", 0], ["进阶", 3330], ["高手", 10000]]
    response = operator_client.post(url, proposal(**{"actions-0-growth": "0", "actions-1-growth": "0"}))
    assert response.status_code == 200 and "plan" not in response.context
    why = gettext("No plan: %(why)s.") % {"why": gettext("the actions earn no growth")}
    assert why in response.content.decode()
    response = operator_client.post(url, proposal(levels="1"))
    assert "plan" not in response.context
    assert Level.objects.count() == 0


def test_confirm_refuses_a_tampered_plan(operator_client):
    LevelFactory(name="青铜", threshold=0)
    url = reverse("admin:points_level_planner")
    response = operator_client.post(url, {"plan": json.dumps([["a", 5], ["b", 3]])}, follow=True)
    assert gettext("The first level starts at 0.") in response.content.decode()
    assert list(Level.objects.values_list("threshold", flat=True)) == [0]
    operator_client.post(url, {"plan": "not json"})
    assert list(Level.objects.values_list("threshold", flat=True)) == [0]


def test_a_viewer_may_propose_but_not_apply(db):
    from django.contrib.auth.models import Permission

    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_level"))
    client = Client()
    client.force_login(viewer)
    url = reverse("admin:points_level_planner")
    response = client.post(url, proposal())
    assert response.status_code == 200 and "plan" in response.context
    assert 'id="planner-confirm"' not in response.content.decode()
    assert client.post(url, {"plan": json.dumps([["a", 0], ["b", 10]])}).status_code == 403
    assert Level.objects.count() == 0
