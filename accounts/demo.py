"""Demo members: they log in (and so register) once every app has set up its rules.

They registered yesterday and then joined the all-day demo challenge (and alice the attendance
challenge), so whoever tries the demo can log in as one of them (`{"code": "demo-alice"}`) and
check in today, or show alice's member code to the demo clerk at /staff/visits/."""

import datetime as dt

from accounts.services import user_login_wechat, user_update_profile
from checkin.demo import DEMO_ALL_DAY_TITLE, DEMO_VISITS_TITLE
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
            _join(users[:2], title=DEMO_ALL_DAY_TITLE, stake=10)
            _join(users[:1], title=DEMO_VISITS_TITLE, stake=20)
    _profile_facts(users)
    if stdout is not None:
        stdout.write(f"accounts: demo members {', '.join(code for code, _name in DEMO_USERS)}")


def _profile_facts(users: list[User]) -> None:
    """Alice's birthday is the day the demo was first seeded (born 1990), so the nightly birthday job
    pays her level's gift that day (none at 青铜: it shows once she reaches 白银, docs/membership.md);
    Bob gave his gender and city (the rule tags' profile facts). Given once: a re-seed keeps them."""
    alice, bob = users[0], users[1]
    if alice.birthday is None:
        today = local_today()
        birthday = dt.date(1990, today.month, 28 if (today.month, today.day) == (2, 29) else today.day)
        user_update_profile(user=alice, birthday=birthday)
    if not bob.gender and not bob.city:
        user_update_profile(user=bob, gender=User.Gender.MALE, city="上海")


def _join(users: list[User], *, title: str, stake: int) -> None:
    challenge = Challenge.objects.filter(title=title).first()
    if challenge is None:
        return
    for user in users:
        if Entry.objects.filter(user=user, round__challenge=challenge).exists():
            continue
        try:
            challenge_join(user=user, challenge=challenge, stake=stake)
        except ApplicationError:  # no welcome points configured: they simply have not joined
            continue
