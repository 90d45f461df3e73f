"""The API's throttles count in Redis atomically: concurrent requests cannot pass a limit together
(DRF's cache-backed history let them: each read the same history and wrote back its own), a
refusal says how long to wait, the limit frees up at its rate, and without Redis the throttles
still count (DRF's way) or, with Redis down, let requests through."""

import threading
import time

import pytest
from rest_framework.test import APIRequestFactory

from core.api import throttling
from core.api.throttling import ScopedThrottle, UserThrottle
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


class _View:
    throttle_scope = "write"


def _request(user):
    request = APIRequestFactory().post("/api/anything")
    request.user = user
    return request


def _throttle(rate: str, monkeypatch):
    monkeypatch.setattr(ScopedThrottle, "THROTTLE_RATES", {"write": rate})
    return ScopedThrottle()


def test_concurrent_requests_never_pass_the_limit_together(user, monkeypatch):
    monkeypatch.setattr(ScopedThrottle, "THROTTLE_RATES", {"write": "5/min"})
    start = threading.Barrier(24)
    allowed = []

    def one_request():
        throttle = ScopedThrottle()
        start.wait()
        allowed.append(throttle.allow_request(_request(user), _View()))

    threads = [threading.Thread(target=one_request) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 5
    assert throttling._gcra_script() is not None  # counted by Redis, not DRF's history


def test_a_refusal_says_how_long_to_wait_and_the_rate_frees_the_next_request(user, monkeypatch):
    throttle = _throttle("4/s", monkeypatch)
    request, view = _request(user), _View()
    assert [throttle.allow_request(request, view) for _ in range(5)] == [True, True, True, True, False]
    assert 0 < throttle.wait() <= 0.25
    time.sleep(throttle.wait() + 0.02)
    assert throttle.allow_request(request, view) is True
    assert throttle.allow_request(request, view) is False


def test_each_client_and_scope_counts_apart(user, monkeypatch):
    other = UserFactory()
    monkeypatch.setattr(ScopedThrottle, "THROTTLE_RATES", {"write": "1/min", "checkin": "1/min"})
    monkeypatch.setattr(UserThrottle, "THROTTLE_RATES", {"user": "1/min"})

    class CheckinView:
        throttle_scope = "checkin"

    assert ScopedThrottle().allow_request(_request(user), _View())
    assert ScopedThrottle().allow_request(_request(other), _View())
    assert ScopedThrottle().allow_request(_request(user), CheckinView())
    assert UserThrottle().allow_request(_request(user), _View())
    assert not ScopedThrottle().allow_request(_request(user), _View())


def test_without_redis_drf_counts_and_with_redis_down_requests_pass(user, monkeypatch):
    request, view = _request(user), _View()
    with monkeypatch.context() as patched:  # the embedded demo's local-memory cache
        patched.setattr(throttling, "_gcra_script", lambda: None)
        throttle = _throttle("2/min", patched)
        assert [throttle.allow_request(request, view) for _ in range(3)] == [True, True, False]
        assert 0 < throttle.wait() <= 60

    def down(**_kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(throttling, "_gcra_script", lambda: down)
    throttle = _throttle("1/min", monkeypatch)
    assert [throttle.allow_request(request, view) for _ in range(3)] == [True, True, True]
