"""Throttles count by the real client address (TRUSTED_PROXY_COUNT, wired into DRF's NUM_PROXIES).

A client that sends a new X-Forwarded-For with every request must not get a new allowance each time.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.reliability.helpers import set_throttle_rates

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.1"  # REMOTE_ADDR when a reverse proxy forwards the request


@pytest.fixture
def login_rate(monkeypatch):
    set_throttle_rates(monkeypatch, {**SimpleRateThrottle.THROTTLE_RATES, "login": "5/min"})


def trust_proxies(settings, count: int) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}  # DRF reloads its settings


def login(n: int, forwarded_for: str):
    return APIClient().post(
        "/api/auth/wechat/login",
        {"code": f"xff{n}"},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_by_default_a_new_forwarded_for_each_time_is_still_throttled(settings, login_rate):
    # The settings as configured, not overridden: the default is what a deploy gets.
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0, "run the suite without TRUSTED_PROXY_COUNT set"

    statuses = [login(n, f"203.0.113.{n}").status_code for n in range(20)]

    assert statuses == [200] * 5 + [429] * 15


@pytest.mark.django_db
def test_with_one_trusted_proxy_the_address_it_appended_counts(settings, login_rate):
    trust_proxies(settings, 1)

    # The client forges the left part; the proxy appends the address it saw (198.51.100.7).
    statuses = [login(n, f"203.0.113.{n}, 198.51.100.7").status_code for n in range(20)]
    another_client = login(99, "203.0.113.1, 198.51.100.8")

    assert statuses == [200] * 5 + [429] * 15
    assert another_client.status_code == 200


def proxy_count_at_start(env: dict) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in {"TRUSTED_PROXY_COUNT", "NUM_PROXIES"}}
    environ.update(env, DJANGO_DEBUG="1", DJANGO_SETTINGS_MODULE="core.settings")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TRUSTED_PROXY_COUNT, settings.REST_FRAMEWORK['NUM_PROXIES'])",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, "0 0"), ({"TRUSTED_PROXY_COUNT": "2"}, "2 2"), ({"NUM_PROXIES": "1"}, "1 1")],
    ids=["default ignores X-Forwarded-For", "set", "the old name"],
)
def test_trusted_proxy_count_from_the_environment(env, expected):
    result = proxy_count_at_start(env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_negative_trusted_proxy_count_fails_at_start():
    result = proxy_count_at_start({"TRUSTED_PROXY_COUNT": "-1"})

    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr
