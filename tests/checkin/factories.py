import datetime as dt
from zoneinfo import ZoneInfo

import factory

from checkin.models import Challenge
from points.models import Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_post

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=0, minute=0, second=0, microsecond=0) -> dt.datetime:
    """An aware instant on the Shanghai wall clock."""
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=SHANGHAI)


class ChallengeFactory(factory.django.DjangoModelFactory):
    """A daily challenge: join on D, check in 05:00-09:00 on D+1, stakes 10-100, 100 bonus."""

    class Meta:
        model = Challenge

    title = factory.Sequence(lambda n: f"早起打卡{n}")
    kind = Challenge.Kind.DAILY
    timezone = "Asia/Shanghai"
    window_start = dt.time(5, 0)
    window_end = dt.time(9, 0)
    stake_min = 10
    stake_max = 100
    bonus = 100
    split_rule = Challenge.SplitRule.PROPORTIONAL
    no_winner_rule = Challenge.NoWinnerRule.REFUND


class MultiDayChallengeFactory(ChallengeFactory):
    """A 5-day round from 2026-03-02, 3 days required, window 20:00-23:59, 2 makeups at 20 points."""

    title = factory.Sequence(lambda n: f"5天打卡{n}")
    kind = Challenge.Kind.MULTI_DAY
    start_date = dt.date(2026, 3, 2)
    duration_days = 5
    required_days = 3
    window_start = dt.time(20, 0)
    window_end = dt.time(23, 59)
    makeup_limit = 2
    makeup_cost = 20
    split_rule = Challenge.SplitRule.EQUAL


_funding = {"n": 0}


def fund(user, amount: int) -> None:
    """Give a user points from issuance."""
    _funding["n"] += 1
    ledger_post(
        kind=Transaction.Kind.ADMIN_ADJUST,
        key=f"test:fund:{user.pk}:{_funding['n']}:{amount}",
        legs=[(account_issuance(), -amount), (account_for_user(user), amount)],
    )


def balance(user) -> int:
    account = account_for_user(user)
    account.refresh_from_db()
    return account.balance


def payout_legs() -> int:
    """Winners paid so far: a settlement batch is one transaction with a leg per winner's wallet."""
    from points.models import Account
    from points.models import Entry as LedgerEntry

    legs = LedgerEntry.objects.filter(transaction__kind=Transaction.Kind.PAYOUT, account__kind=Account.Kind.USER)
    return legs.count()
