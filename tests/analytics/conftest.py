import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.wechat import get_wechat_client
from events.services import event_record
from referral.models import Referral
from tests.factories import StaffFactory, UserFactory

ZONE = ZoneInfo("Asia/Shanghai")
D0 = dt.date(2026, 3, 2)


def day(offset: int) -> dt.date:
    return D0 + dt.timedelta(days=offset)


def at(offset: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An instant on local day D0+offset (Asia/Shanghai)."""
    return dt.datetime.combine(day(offset), dt.time(hour, minute), tzinfo=ZONE)


def user_joined(offset: int, *, hour: int = 10, minute: int = 0, channel: str = "", **kwargs):
    user = UserFactory(date_joined=at(offset, hour, minute), **kwargs)
    event_record(user=user, kind="registered", at=at(offset, hour, minute), channel=channel)
    return user


def active(user, *offsets: int, kind: str = "signed_in", amount: int = 0) -> None:
    for offset in offsets:
        event_record(user=user, kind=kind, at=at(offset, 12), amount=amount)


def invite(inviter, invitee, offset: int) -> Referral:
    with time_machine.travel(at(offset, 11), tick=False):
        event_record(user=inviter, kind="invited", at=at(offset, 11))
        return Referral.objects.create(inviter=inviter, invitee=invitee)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.fixture
def wechat():
    client = get_wechat_client()
    client.sent_messages.clear()
    yield client
    client.sent_messages.clear()


@pytest.fixture
def history(db):
    """A small hand-built history (see test_metrics.py for the numbers it must give).

    Cohort D0: u1, u2, u3 and u4 (u4 at 00:30 local, still 1 March in UTC).
    """
    u1 = user_joined(0)
    u2 = user_joined(0, hour=23, minute=30)
    u3 = user_joined(0)
    u4 = user_joined(0, hour=0, minute=30, channel="clinic")
    u5 = user_joined(-40)
    active(u1, 1)
    active(u1, 7, kind="checked_in")
    active(u2, 2, kind="joined")
    active(u3, 1)
    active(u3, 3, kind="redeemed", amount=80)
    active(u5, 1)
    invite(u1, u2, 0)
    invite(u1, u3, 0)
    invite(u1, u4, 0)
    # For the segments (as of D0+10).
    u6 = user_joined(-20)
    active(u6, *range(-9, 11))
    active(u6, 5, kind="redeemed", amount=150)
    u7 = user_joined(-60)
    active(u7, *range(-20, -12))
    active(u7, -12, kind="redeemed", amount=120)
    u8 = user_joined(-90)
    active(u8, -50)
    u9 = user_joined(8)
    StaffFactory()  # staff are not customers: never segmented
    return {f"u{n}": user for n, user in enumerate([u1, u2, u3, u4, u5, u6, u7, u8, u9], start=1)}
