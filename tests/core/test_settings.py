"""Settings come from the environment; a production start without what it needs fails clearly."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_django(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DJANGO_DEBUG",
            "SECRET_KEY",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "WECHAT_MODE",
            "WECHAT_APPID",
            "WECHAT_SECRET",
            "REDIS_URL",
            "CELERY_EAGER",
        }
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "core.settings"
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.WECHAT_MODE, settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_start_without_required_settings_fails_naming_them():
    result = start_django({"DJANGO_DEBUG": "0"})

    assert result.returncode != 0
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "WECHAT_APPID", "WECHAT_SECRET"):
        assert name in result.stderr
    assert "Missing required settings" in result.stderr


def test_production_start_with_everything_set_succeeds_in_live_mode():
    result = start_django(
        {
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "api.example.com",
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
            "WECHAT_APPID": "wx123",
            "WECHAT_SECRET": "s3cret",
        }
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["live", "django.db.backends.postgresql", "True"]


def test_debug_start_uses_embedded_defaults():
    result = start_django({"DJANGO_DEBUG": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["fake", "django.db.backends.sqlite3", "True"]


def test_invalid_boolean_fails_clearly():
    result = start_django({"DJANGO_DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_invalid_wechat_mode_fails_clearly():
    result = start_django({"DJANGO_DEBUG": "1", "WECHAT_MODE": "staging"})

    assert result.returncode != 0
    assert "WECHAT_MODE must be 'fake' or 'live'" in result.stderr
