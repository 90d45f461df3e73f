import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from core.exceptions import ApplicationError
from points.models import Signin, SigninReward, Transaction
from points.selectors import signin_calendar, signin_streak, wallet_balance
from points.services.ledger import account_for_user, account_issuance, ledger_post
from points.services.signin import signin_config, signin_create, signin_makeup, signin_reward_for
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
REWARDS = [5, 5, 10, 10, 15, 15, 30]


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def on(day: dt.date, hour: int = 10):
    return time_machine.travel(at(day.year, day.month, day.day, hour), tick=False)


def error_code(call) -> tuple[str, int]:
    with pytest.raises(ApplicationError) as exc:
        call()
    return exc.value.code, exc.value.status


def grant(user, points: int, key: str = "seed") -> None:
    ledger_post(
        kind="admin_adjust",
        key=f"{key}:{user.pk}",
        legs=[(account_issuance(), -points), (account_for_user(user), points)],
    )


@pytest.fixture
def rewards(db):
    for day, points in enumerate(REWARDS, start=1):
        SigninReward.objects.create(day=day, points=points)


@pytest.fixture
def member(db):
    """A user who joined on 2026-11-01 (local)."""
    return UserFactory(date_joined=at(2026, 11, 1, 9))


def sign_days(user, days: list[dt.date]) -> list[Signin]:
    out = []
    for day in days:
        with on(day):
            out.append(signin_create(user=user))
    return out


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


@pytest.mark.usefixtures("rewards")
@pytest.mark.django_db
class TestSignin:
    def test_first_signin_streak_one_and_reward(self, member):
        with on(nov(23)):
            signin = signin_create(user=member)

        assert (signin.streak, signin.points, signin.local_date) == (1, 5, nov(23))
        assert signin.transaction.kind == "signin"
        assert signin.transaction.key == f"signin:{member.pk}:2026-11-23"
        assert wallet_balance(user=member) == 5

    def test_second_signin_same_day_is_refused(self, member):
        with on(nov(23), 8):
            signin_create(user=member)
        with on(nov(23), 22):
            assert error_code(lambda: signin_create(user=member)) == ("already_signed_in", 409)
        assert Signin.objects.count() == 1
        assert wallet_balance(user=member) == 5

    def test_local_midnight_starts_a_new_day(self, member):
        # 23:59 and 00:01 in Shanghai are 15:59 and 16:01 UTC, the same UTC date.
        with time_machine.travel(at(2026, 11, 23, 23, 59), tick=False):
            first = signin_create(user=member)
        with time_machine.travel(at(2026, 11, 24, 0, 1), tick=False):
            second = signin_create(user=member)

        assert (first.local_date, second.local_date) == (nov(23), nov(24))
        assert second.streak == 2
        assert wallet_balance(user=member) == 10

    def test_utc_midnight_is_not_a_new_day(self, member):
        # 07:59 and 08:01 in Shanghai straddle UTC midnight but are the same local day.
        with time_machine.travel(at(2026, 11, 24, 7, 59), tick=False):
            signin_create(user=member)
        with time_machine.travel(at(2026, 11, 24, 8, 1), tick=False):
            assert error_code(lambda: signin_create(user=member))[0] == "already_signed_in"

    def test_streak_breaks_after_a_missed_day(self, member):
        signins = sign_days(member, [nov(20), nov(21), nov(23)])

        assert [s.streak for s in signins] == [1, 2, 1]
        assert [s.points for s in signins] == [5, 5, 5]

    def test_reward_cycle_wraps(self, member):
        signins = sign_days(member, [nov(d) for d in range(1, 11)])

        assert [s.streak for s in signins] == list(range(1, 11))
        assert [s.points for s in signins] == [*REWARDS, 5, 5, 10]
        assert wallet_balance(user=member) == sum(REWARDS) + 20

    def test_missing_reward_day_uses_the_highest_day_below(self, member):
        SigninReward.objects.filter(day__in=[4, 5, 6]).delete()
        config = signin_config()

        assert [signin_reward_for(streak=n, config=config).points for n in range(1, 9)] == [5, 5, 10, 10, 10, 10, 30, 5]

    def test_no_reward_row_pays_nothing(self, member):
        SigninReward.objects.all().delete()
        with on(nov(23)):
            signin = signin_create(user=member)

        assert (signin.streak, signin.points, signin.transaction) == (1, 0, None)
        assert Transaction.objects.count() == 0

    def test_cycle_length_from_settings(self, member):
        config = signin_config()
        config.cycle_length = 3
        config.save()

        signins = sign_days(member, [nov(d) for d in range(1, 6)])

        assert [s.points for s in signins] == [5, 5, 10, 5, 5]

    def test_signin_grants_growth(self, member):
        SigninReward.objects.filter(day=1).update(growth=3)
        with on(nov(23)):
            signin_create(user=member)

        assert member.growth_entries.get().amount == 3


@pytest.mark.usefixtures("rewards")
@pytest.mark.django_db
class TestCalendar:
    def test_month_days_and_current_streak(self, member):
        sign_days(member, [nov(3), nov(4), nov(20), nov(21)])

        with on(nov(22)):
            calendar = signin_calendar(user=member, year=2026, month=11)
        assert calendar == {"days": [nov(3), nov(4), nov(20), nov(21)], "streak": 2}

        with on(nov(23)):
            assert signin_streak(user=member) == 0
        with on(dt.date(2026, 12, 1)):
            assert signin_calendar(user=member, year=2026, month=12) == {"days": [], "streak": 0}

    def test_month_boundaries(self, member):
        sign_days(member, [nov(30), dt.date(2026, 12, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)])

        with on(dt.date(2027, 1, 1)):
            assert signin_calendar(user=member, year=2026, month=12)["days"] == [
                dt.date(2026, 12, 1),
                dt.date(2026, 12, 31),
            ]
            assert signin_calendar(user=member, year=2027, month=1) == {"days": [dt.date(2027, 1, 1)], "streak": 2}


@pytest.mark.usefixtures("rewards")
@pytest.mark.django_db
class TestMakeup:
    def test_makeup_costs_points_pays_nothing_and_fills_the_streak(self, member):
        grant(member, 100)
        sign_days(member, [nov(20), nov(21), nov(23), nov(24)])  # missed the 22nd

        with on(nov(24), 12):
            makeup = signin_makeup(user=member, date=nov(22))
            assert signin_streak(user=member) == 5

        assert (makeup.makeup, makeup.points, makeup.streak) == (True, 0, 3)
        assert makeup.transaction.kind == "signin_makeup"
        assert sorted(makeup.transaction.entries.values_list("account__code", "amount")) == [
            ("sink", 20),
            (f"user:{member.pk}", -20),
        ]
        assert list(Signin.objects.order_by("local_date").values_list("streak", flat=True)) == [1, 2, 3, 4, 5]
        assert wallet_balance(user=member) == 100 + 5 + 5 + 5 + 5 - 20
        # The next day continues the filled streak: day 6 of the table.
        with on(nov(25)):
            assert signin_create(user=member).streak == 6

    def test_makeup_of_yesterday_lets_today_continue(self, member):
        grant(member, 100)
        sign_days(member, [nov(20), nov(21)])
        with on(nov(23)):
            signin_makeup(user=member, date=nov(22))
            assert signin_create(user=member).streak == 4

    def test_invalid_dates(self, member):
        grant(member, 100)
        with on(nov(23)):
            for day in (nov(23), nov(24), dt.date(2026, 10, 31), dt.date(2025, 11, 20)):
                assert error_code(lambda day=day: signin_makeup(user=member, date=day)) == (
                    "invalid_makeup_date",
                    400,
                )
        late = UserFactory(date_joined=at(2026, 11, 10, 0, 30))
        grant(late, 100)
        with on(nov(23)):
            assert error_code(lambda: signin_makeup(user=late, date=nov(9)))[0] == "invalid_makeup_date"
            assert signin_makeup(user=late, date=nov(10)).local_date == nov(10)

    def test_joined_date_is_local(self, member):
        # Joined 2026-11-09 16:30 UTC, which is already the 10th in Shanghai.
        late = UserFactory(date_joined=dt.datetime(2026, 11, 9, 16, 30, tzinfo=dt.UTC))
        grant(late, 100)
        with on(nov(23)):
            assert error_code(lambda: signin_makeup(user=late, date=nov(9)))[0] == "invalid_makeup_date"

    def test_already_signed_day(self, member):
        grant(member, 100)
        sign_days(member, [nov(20)])
        with on(nov(23)):
            assert error_code(lambda: signin_makeup(user=member, date=nov(20))) == ("already_signed_in", 409)

    def test_monthly_limit(self, member):
        grant(member, 100)
        with on(nov(23)):
            signin_makeup(user=member, date=nov(1))
            signin_makeup(user=member, date=nov(2))
            assert error_code(lambda: signin_makeup(user=member, date=nov(3))) == ("no_makeup_left", 409)
        with on(dt.date(2026, 12, 5)):
            assert signin_makeup(user=member, date=dt.date(2026, 12, 4)).makeup is True
        assert wallet_balance(user=member) == 100 - 60

    def test_not_enough_points_changes_nothing(self, member):
        grant(member, 19)
        with on(nov(23)):
            assert error_code(lambda: signin_makeup(user=member, date=nov(22))) == ("insufficient_points", 400)
        assert Signin.objects.count() == 0
        assert wallet_balance(user=member) == 19

    def test_disabled(self, member):
        config = signin_config()
        config.makeup_enabled = False
        config.save()
        grant(member, 100)
        with on(nov(23)):
            assert error_code(lambda: signin_makeup(user=member, date=nov(22))) == ("makeup_disabled", 409)

    def test_free_makeup_posts_nothing(self, member):
        config = signin_config()
        config.makeup_cost = 0
        config.save()
        with on(nov(23)):
            signin = signin_makeup(user=member, date=nov(22))
        assert signin.transaction is None
        assert Transaction.objects.count() == 0


@pytest.mark.django_db
def test_signin_config_is_one_row():
    first = signin_config()
    assert signin_config().pk == first.pk
    assert (first.cycle_length, first.makeup_cost, first.makeup_monthly_limit) == (7, 20, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_signins_give_one_reward():
    SigninReward.objects.create(day=1, points=5)
    user = UserFactory()
    results, barrier = [], threading.Barrier(2)

    def tap():
        try:
            barrier.wait()
            signin_create(user=user)
            results.append("ok")
        except ApplicationError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["already_signed_in", "ok"]
    assert Signin.objects.filter(user=user).count() == 1
    assert Transaction.objects.filter(kind="signin").count() == 1
    assert wallet_balance(user=user) == 5
