"""Points value and liability: the rounding, the liability against the ledger, the nightly check
(clean on a normal history, loud on a planted mismatch) and the dashboard section."""

import datetime as dt
import uuid
from fractions import Fraction

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from analytics import selectors
from analytics.models import LiabilityCheck, PointsValue
from analytics.services import fen_of_points, liability_check, points_value, yuan
from core.jobs import nightly_run
from mall.models import Product
from points.models import Account, Entry, Lot, Transaction
from points.services.expiry import lots_expire
from points.services.ledger import account_for_user, account_issuance, account_sink, ledger_post
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/admin/analytics/dailymetric/"


def value_of(points: int, fen: int) -> PointsValue:
    value = points_value()
    value.points, value.fen = points, fen
    value.save()
    return value


def credit(user, amount: int, kind=Transaction.Kind.TASK_REWARD) -> Transaction:
    return ledger_post(
        kind=kind, key=f"test:{uuid.uuid4()}", legs=[(account_issuance(), -amount), (account_for_user(user), amount)]
    )


def spend(user, amount: int, kind=Transaction.Kind.REDEMPTION) -> Transaction:
    return ledger_post(
        kind=kind, key=f"test:{uuid.uuid4()}", legs=[(account_for_user(user), -amount), (account_sink(), amount)]
    )


def half_up(exact: Fraction) -> int:
    """The documented rounding, written independently: the nearest fen, halves up."""
    return int((exact + Fraction(1, 2)).__floor__())


# -- rounding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "value_points", "value_fen", "expected"),
    [
        (100, 100, 100, 100),  # 100 points = 1 yuan
        (1234, 100, 100, 1234),
        (1, 3, 1, 0),  # 3 points = 1 fen: 1/3 fen rounds down
        (2, 3, 1, 1),  # 2/3 fen rounds up
        (3, 3, 1, 1),
        (5, 3, 1, 2),  # 5/3 = 1.67
        (1, 2, 1, 1),  # exactly half a fen goes up
        (3, 2, 1, 2),  # 1.5 -> 2
        (-3, 2, 1, -2),  # a negative amount rounds half away from zero
        (7, 200, 1, 0),
        (0, 3, 1, 0),
    ],
)
def test_fen_of_points_rounds_half_up(points, value_points, value_fen, expected):
    assert fen_of_points(points, PointsValue(points=value_points, fen=value_fen)) == expected


@given(
    points=st.integers(min_value=0, max_value=10**15),
    value_points=st.integers(min_value=1, max_value=10**6),
    value_fen=st.integers(min_value=1, max_value=10**6),
)
def test_fen_of_points_is_within_half_a_fen(points, value_points, value_fen):
    fen = fen_of_points(points, PointsValue(points=value_points, fen=value_fen))
    exact = Fraction(points * value_fen, value_points)
    assert fen == half_up(exact)
    assert abs(fen - exact) <= Fraction(1, 2)


def test_yuan_formats_whole_fen():
    assert yuan(0) == "¥0.00"
    assert yuan(5) == "¥0.05"
    assert yuan(123456) == "¥1,234.56"
    assert yuan(-20) == "-¥0.20"


def test_str_of_the_value():
    assert str(PointsValue(points=100, fen=100)) == "100 = ¥1.00"
    assert str(PointsValue(points=3, fen=1)) == "3 = ¥0.01"


# -- the liability equals the ledger's user balances times the value ----------------------------


def test_liability_equals_the_ledgers_user_balances_times_the_value():
    members = [UserFactory() for _ in range(4)]

    @hsettings(max_examples=25, deadline=None)
    @given(
        moves=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 5000), st.booleans()), min_size=1, max_size=12),
        value_points=st.sampled_from([1, 2, 3, 7, 100, 333, 1000]),
        value_fen=st.sampled_from([1, 2, 3, 50, 100, 101]),
    )
    def check(moves, value_points, value_fen):
        for who, amount, is_spend in moves:
            user = members[who]
            if is_spend:
                balance = account_for_user(user).balance
                if balance:
                    spend(user, min(amount, balance))
            else:
                credit(user, amount)
        value_of(value_points, value_fen)
        # The ledger's word: the sum of every entry on a member's wallet.
        held = sum(Entry.objects.filter(account__kind=Account.Kind.USER).values_list("amount", flat=True))
        expected = half_up(Fraction(held * value_fen, value_points))
        check_row = liability_check()
        assert check_row.ok, check_row.problems
        assert check_row.balances == held
        assert check_row.liability_fen == expected
        today = timezone.localdate()
        assert selectors.liability_figures(start=today, end=today).liability_fen == expected

    check()


def test_rounding_is_on_the_total_not_per_member():
    # Three members with 1 point each at 3 points = 1 fen: 1 fen in all, not 3 x 0.
    value_of(3, 1)
    for _ in range(3):
        credit(UserFactory(), 1)
    assert liability_check().liability_fen == 1


# -- the nightly check ---------------------------------------------------------------------------


def normal_history(settings):
    """Credits of several kinds, spends, a refund, and a lot that expired."""
    settings.POINTS_EXPIRY_ENABLED = True
    settings.POINTS_EXPIRY_RULE = "10"
    alice, bob = UserFactory(), UserFactory()
    credit(alice, 500)
    credit(bob, 300, kind=Transaction.Kind.SIGNIN)
    redemption = spend(alice, 120)
    ledger_post(
        kind=Transaction.Kind.REFUND,
        key=f"test:refund:{redemption.pk}",
        legs=[(account_sink(), -120), (account_for_user(alice), 120)],
        refund_of=redemption,
    )
    spend(bob, 100, kind=Transaction.Kind.LOTTERY_DRAW)
    with time_machine.travel(timezone.now() + dt.timedelta(days=11), tick=False):
        assert lots_expire() == 200 + 500  # what was left of bob's and alice's lots
    credit(alice, 80)
    return alice, bob


def test_nightly_check_is_clean_on_a_normal_history(settings):
    normal_history(settings)
    results = nightly_run(only=["liability_check"])
    assert [(name, ok) for name, ok, _message in results] == [("liability_check", True)]
    assert results[0][2].endswith(": ok")
    check = LiabilityCheck.objects.get()
    assert check.ok and check.problems == []
    assert check.balances == check.entries == check.lots == 80
    assert check.overdue == 0
    assert check.liability_fen == 80  # 100 points = 1 yuan by default


def test_nightly_check_finds_a_lot_remainder_tampered_with(settings):
    alice, _bob = normal_history(settings)
    lot = Lot.objects.filter(account__user=alice, remaining__gt=0).get()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Lot._meta.db_table} SET remaining = remaining - 1 WHERE id = %s", [lot.pk])
    check = liability_check()
    assert not check.ok
    assert (check.balances, check.entries, check.lots) == (80, 80, 79)
    assert "wallet balances sum to 80 but their lots hold 79" in check.problems
    assert f"account user:{alice.pk}: lots hold 79 but the balance is 80" in check.problems


def test_nightly_check_finds_a_balance_tampered_with(settings):
    alice, _bob = normal_history(settings)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Account._meta.db_table} SET balance = balance + 5 WHERE id = %s", [account_for_user(alice).pk]
        )
    check = liability_check()
    assert not check.ok
    assert check.balances == 85 and check.entries == 80 and check.lots == 80
    assert "wallet balances sum to 85 but their entries sum to 80" in check.problems
    assert check.liability_fen == 85  # the liability is what the wallets say; the alert says it is off


def test_overdue_lots_are_a_problem_only_with_expiry_on(settings):
    settings.POINTS_EXPIRY_ENABLED = True
    settings.POINTS_EXPIRY_RULE = "10"
    credit(UserFactory(), 50)
    with time_machine.travel(timezone.now() + dt.timedelta(days=11), tick=False):
        check = liability_check()
        assert not check.ok and check.overdue == 50
        settings.POINTS_EXPIRY_ENABLED = False  # the job does not run: overdue lots wait, by design
        assert liability_check().ok


# -- the dashboard -------------------------------------------------------------------------------


@pytest.fixture
def operator_client():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_dashboard_shows_value_liability_sources_breakage_and_margins(settings, operator_client):
    alice, bob = normal_history(settings)  # issued 880, spent 100 net, expired 700, alice holds 80
    credit(bob, 1154)  # outstanding 1234
    Lot.objects.filter(account__user=bob, remaining__gt=0).update(expires_at=timezone.now() + dt.timedelta(days=20))
    Lot.objects.filter(account__user=alice, remaining__gt=0).update(expires_at=timezone.now() + dt.timedelta(days=31))
    Product.objects.create(name="洗牙体验券", price=80, cost=60)
    Product.objects.create(name="电动牙刷", price=2000)  # no cost known
    liability_check()
    today = timezone.localdate()

    later = today + dt.timedelta(days=12)  # the expiry happened 11 days on

    response = operator_client.get(URL, {"start": today.isoformat(), "end": later.isoformat()})

    assert response.status_code == 200
    page = response.content.decode()
    figures = response.context["liability"]
    assert figures.outstanding == 1234 and figures.liability_fen == 1234
    assert (figures.issued, figures.spent, figures.expired, figures.held) == (2034, 100, 700, 0)
    assert figures.expiring == 1154
    assert response.context["breakage_pct"] == "34.4%"  # 700 / 2034
    assert "¥12.34" in page and "¥11.54" in page and "34.4%" in page
    sources = {row.kind: (row.issued, row.spent, row.expired) for row in figures.sources}
    # The refunded redemption nets to 0 spent; expired points go back to the credits they came from.
    assert sources == {
        "task_reward": (1734, 0, 500),
        "signin": (300, 0, 200),
        "redemption": (0, 0, 0),
        "lottery_draw": (0, 100, 0),
    }
    assert "任务奖励" in page  # sources in the operator's language
    margins = {
        product.name: (value, cost, margin) for product, value, cost, margin, _rate in response.context["margins"]
    }
    assert margins == {"洗牙体验券": ("¥0.80", "¥0.60", "¥0.20"), "电动牙刷": ("¥20.00", "-", "-")}
    assert "liability-alert" not in page
    # Outside the range, no flows; the all-time figures stay.
    figures = operator_client.get(URL, {"start": later.isoformat(), "end": later.isoformat()}).context["liability"]
    assert figures.sources == [] and figures.issued == 2034


def test_dashboard_alerts_on_a_mismatch_and_checks_on_demand(settings, operator_client):
    normal_history(settings)
    operator_client.post("/admin/analytics/dailymetric/liability-check/")
    assert "liability-alert" not in operator_client.get(URL).content.decode()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Lot._meta.db_table} SET remaining = remaining - 1 WHERE remaining > 0")

    response = operator_client.post("/admin/analytics/dailymetric/liability-check/", follow=True)

    page = response.content.decode()
    assert "liability-alert" in page
    assert LiabilityCheck.objects.count() == 2 and not LiabilityCheck.objects.first().ok


def test_points_value_is_edited_in_admin(operator_client):
    points_value()
    response = operator_client.post("/admin/analytics/pointsvalue/1/change/", {"points": "3", "fen": "1"})
    assert response.status_code == 302
    assert str(points_value()) == "3 = ¥0.01"
    response = operator_client.post("/admin/analytics/pointsvalue/1/change/", {"points": "0", "fen": "1"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
