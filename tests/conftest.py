import os
import shutil

import pytest
from django.core.cache import cache
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory

hypothesis_settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
hypothesis_settings.load_profile("default")

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
_service_skips: list[str] = []


def _redis_configured() -> bool:
    from django.conf import settings

    return bool(settings.REDIS_URL)


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "PostgreSQL"
    if (item.get_closest_marker("redis") or item.get_closest_marker("worker")) and not _redis_configured():
        return "Redis"
    if item.get_closest_marker("browser") and not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "Chromium and ChromeDriver (apt-get install chromium chromium-driver)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    missing = _missing_service(item)
    if missing is None:
        return
    message = f"needs {missing}, which is not configured"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES=1 turns this skip into a failure)", pytrace=False)
    _service_skips.append(item.nodeid)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter):
    if _service_skips:
        terminalreporter.write_sep(
            "!", f"{len(_service_skips)} TESTS SKIPPED FOR WANT OF POSTGRESQL, REDIS OR A BROWSER", red=True
        )
        for nodeid in _service_skips[:20]:
            terminalreporter.write_line(f"  skipped: {nodeid}")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def user_client(user) -> APIClient:
    return client_for(user)
