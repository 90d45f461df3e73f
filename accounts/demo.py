"""Demo members: they log in (and so register) once every app has set up its rules.

They registered yesterday and then joined the all-day demo challenge, so whoever tries the demo
can log in as one of them (`{"code": "demo-alice"}`) and check in today."""

import datetime as dt

from accounts.services import user_login_wechat, user_update_profile
from checkin.demo import DEMO_ALL_DAY_TITLE
from checkin.models import Challenge, Entry
from checkin.services import challenge_join
from core.clock import local_midnight, local_today, replay_at
from core.exceptions import ApplicationError
from core.models import User

DEMO_USERS = [("demo-alice", "Alice 小艾"), ("demo-bob", "Bob 小博"), ("demo-carol", "Carol 小卡")]


def seed_users() -> list[User]:
    users = []
    for code, nickname in DEMO_USERS:
        user, _ = user_login_wechat(code=code)
        users.append(user_update_profile(user=user, nickname=nickname))
    return users


def seed(stdout=None) -> None:
    """Nothing before the other apps' rules exist."""


def seed_late(stdout=None) -> None:
    if User.objects.filter(openid__in=[f"fake-{code}" for code, _name in DEMO_USERS]).exists():
        users = seed_users()  # already there: only the nicknames are refreshed
    else:
        with replay_at(local_midnight(local_today() - dt.timedelta(days=1)) + dt.timedelta(hours=12)):
            users = seed_users()
            _join_all_day_challenge(users[:2])
    if stdout is not None:
        stdout.write(f"accounts: demo members {', '.join(code for code, _name in DEMO_USERS)}")


def _join_all_day_challenge(users: list[User]) -> None:
    challenge = Challenge.objects.filter(title=DEMO_ALL_DAY_TITLE).first()
    if challenge is None:
        return
    for user in users:
        if Entry.objects.filter(user=user, round__challenge=challenge).exists():
            continue
        try:
            challenge_join(user=user, challenge=challenge, stake=10)
        except ApplicationError:  # no welcome points configured: they simply have not joined
            continue
