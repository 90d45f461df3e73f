"""Demo data (`seed_demo`): idempotent. Each app may have a `demo.py` with `seed(stdout)`, run in
the order of LOCAL_APPS, each in its own transaction; then `seed_late(stdout)` where an app has
one (the demo members log in once every app has set up its rules); `--history N` calls the
`history_simulate(days, stdout)` an app offers. The foundation knows the apps only by name."""

import importlib

from django.conf import settings
from django.db import transaction

from core.models import User

LOCAL_APPS = ["core", "points", "mall", "checkin", "referral", "campaigns", "accounts", "analytics"]


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


def seed_admin() -> User:
    """The demo's superuser (for engineers); the operator and the store clerk, who have only their
    roles' permissions, come with the mall's roles (mall.demo)."""
    admin, created = User.objects.get_or_create(
        username=settings.DEMO_ADMIN_USERNAME,
        defaults={"is_staff": True, "is_superuser": True, "nickname": "管理员"},
    )
    if created:
        admin.set_password(settings.DEMO_ADMIN_PASSWORD)
        admin.save(update_fields=["password"])
    return admin


def seed(stdout=None) -> None:
    seed_admin()


def seed_demo(*, stdout=None) -> None:
    from core.locks import writing_alone

    with writing_alone():  # a setup script: each app's seed is one transaction of many services
        for module in local_app_modules("demo"):
            with transaction.atomic():
                module.seed(stdout=stdout)
            if stdout is not None:
                stdout.write(f"seeded: {module.__name__}")
        for module in local_app_modules("demo"):
            if hasattr(module, "seed_late"):
                with transaction.atomic():
                    module.seed_late(stdout=stdout)


def demo_history(*, days: int, stdout=None) -> None:
    """N days of simulated activity, from the apps that offer it."""
    for module in local_app_modules("demo"):
        if hasattr(module, "history_simulate"):
            module.history_simulate(days=days, stdout=stdout)
