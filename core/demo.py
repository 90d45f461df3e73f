"""Demo data (`seed_demo`): idempotent. Each app may have a `demo.py` with `seed(stdout)`; they run
in the order of LOCAL_APPS, each in its own transaction."""

import importlib

from django.conf import settings
from django.db import transaction

from core.models import User

LOCAL_APPS = ["core", "points", "checkin", "referral", "analytics"]


def local_app_modules(submodule: str) -> list:
    """`<app>.<submodule>` of every local app that has one, in LOCAL_APPS order."""
    modules = []
    for app in LOCAL_APPS:
        try:
            modules.append(importlib.import_module(f"{app}.{submodule}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{submodule}":
                raise
    return modules


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


def seed(stdout=None) -> None:
    seed_operator()


def seed_late(stdout=None) -> None:
    """Demo users log in after every app set up its rules (welcome task, referral...)."""
    seed_users()


def seed_demo(*, stdout=None) -> None:
    from core.locks import writing_alone

    with writing_alone():  # a setup script: each app's seed is one transaction of many services
        for module in local_app_modules("demo"):
            with transaction.atomic():
                module.seed(stdout=stdout)
            if stdout is not None:
                stdout.write(f"seeded: {module.__name__}")
        with transaction.atomic():
            seed_late(stdout=stdout)
