"""Demo members: they log in (and so register) once every app has set up its rules."""

from accounts.services import user_login_wechat, user_update_profile
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
    seed_users()
