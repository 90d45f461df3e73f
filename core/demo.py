"""Demo data (`seed_demo`): idempotent; each app adds its steps to `demo_steps()` in order."""

from django.conf import settings
from django.db import transaction

from core.models import User

DEMO_USERS = [("demo-alice", "Alice 小艾"), ("demo-bob", "Bob 小博"), ("demo-carol", "Carol 小卡")]


def seed_operator() -> User:
    operator, created = User.objects.get_or_create(
        username=settings.DEMO_OPERATOR_USERNAME,
        defaults={"is_staff": True, "is_superuser": True, "nickname": "运营"},
    )
    if created:
        operator.set_password(settings.DEMO_OPERATOR_PASSWORD)
        operator.save(update_fields=["password"])
    return operator


def seed_users() -> list[User]:
    from core.services import user_login_wechat, user_update_profile

    users = []
    for code, nickname in DEMO_USERS:
        user, _ = user_login_wechat(code=code)
        users.append(user_update_profile(user=user, nickname=nickname))
    return users


def demo_steps():
    return [seed_operator, seed_users]


def seed_demo(*, stdout=None) -> None:
    for step in demo_steps():
        with transaction.atomic():
            step()
        if stdout is not None:
            stdout.write(f"seeded: {step.__module__}.{step.__name__}")
