"""LiveWeChatClient, the real WeChat HTTP client: against httpx.MockTransport and a real local HTTP server.

The mock (`FakeWeChat`) records every request so each test asserts what was sent as well as what
came back. The access token lives in Django's cache (locmem or Redis, whichever the run uses).
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.cache import cache

from core.wechat import live
from core.wechat.base import WeChatError, WeChatPhone, WeChatSession
from core.wechat.live import LiveWeChatClient

APPID = "wx-test-appid"
SECRET = "test-app-secret"
API_BASE = "https://wechat.test"
TOKEN_KEY = f"wechat:access_token:{APPID}"

STABLE_TOKEN = "/cgi-bin/stable_token"
JSCODE2SESSION = "/sns/jscode2session"
PHONE = "/wxa/business/getuserphonenumber"
WXACODE = "/wxa/getwxacodeunlimit"
SUBSCRIBE = "/cgi-bin/message/subscribe/send"

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-jpeg-payload\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRfake-png-payload"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


# -- the mocked WeChat --------------------------------------------------------------------------


class FakeWeChat:
    """A MockTransport handler: records requests, answers by path. stable_token issues token-1, token-2, ..."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.issued: list[str] = []
        self.routes = {STABLE_TOKEN: self.stable_token}
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        route = self.routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, text=f"no route for {request.url.path}")
        return route(request)

    def stable_token(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            token = f"token-{len(self.issued) + 1}"
            self.issued.append(token)
        return httpx.Response(200, json={"access_token": token, "expires_in": 7200})

    @property
    def latest_token(self) -> str | None:
        return self.issued[-1] if self.issued else None

    def calls(self, path: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == path]


def body_of(request: httpx.Request) -> dict:
    return json.loads(request.content)


def params_of(request: httpx.Request) -> dict:
    return dict(request.url.params)


def tokens_sent(requests: list[httpx.Request]) -> list[str]:
    return [request.url.params.get("access_token") for request in requests]


def phone_answer(pure: str = "13800138000", phone: str | None = None, country: str = "86") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone or pure,
                "purePhoneNumber": pure,
                "countryCode": country,
                "watermark": {"timestamp": 1700000000, "appid": APPID},
            },
        },
    )


def image_answer(content: bytes = JPEG_BYTES, content_type: str = "image/jpeg") -> httpx.Response:
    return httpx.Response(200, content=content, headers={"content-type": content_type})


def error_answer(errcode: int, errmsg: str = "error", content_type: str | None = None) -> httpx.Response:
    if content_type is None:
        return httpx.Response(200, json={"errcode": errcode, "errmsg": errmsg})
    return httpx.Response(
        200,
        content=json.dumps({"errcode": errcode, "errmsg": errmsg}).encode(),
        headers={"content-type": content_type},
    )


@pytest.fixture
def wechat() -> FakeWeChat:
    return FakeWeChat()


def make_client(wechat: FakeWeChat, appid: str = APPID, **kwargs) -> LiveWeChatClient:
    return LiveWeChatClient(
        appid=appid, secret=SECRET, api_base=API_BASE, transport=httpx.MockTransport(wechat), **kwargs
    )


@pytest.fixture
def client(wechat):
    live_client = make_client(wechat)
    yield live_client
    live_client.http.close()


class RecordingCache:
    """Stands in for the cache in core.wechat.live: delegates everything, remembers set() calls."""

    def __init__(self, real):
        self._real = real
        self.sets: list[tuple] = []

    def set(self, key, value, timeout=None, *args, **kwargs):
        self.sets.append((key, value, timeout))
        return self._real.set(key, value, timeout, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


# -- jscode2session -----------------------------------------------------------------------------


def test_code_to_session_sends_credentials_and_code_and_returns_the_session(wechat, client):
    wechat.routes[JSCODE2SESSION] = lambda request: httpx.Response(
        200, json={"openid": "openid-123", "session_key": "sk-abc"}
    )

    session = client.code_to_session("login-code-1")

    assert session == WeChatSession(openid="openid-123", session_key="sk-abc", unionid="")
    (request,) = wechat.requests  # no access token needed for this one
    assert request.method == "GET"
    assert request.url.host == "wechat.test"
    assert request.url.path == JSCODE2SESSION
    assert params_of(request) == {
        "appid": APPID,
        "secret": SECRET,
        "js_code": "login-code-1",
        "grant_type": "authorization_code",
    }


def test_code_to_session_passes_unionid_through(wechat, client):
    wechat.routes[JSCODE2SESSION] = lambda request: httpx.Response(
        200, json={"openid": "openid-1", "session_key": "sk", "unionid": "union-42"}
    )

    assert client.code_to_session("c").unionid == "union-42"


def test_code_to_session_reads_json_served_as_text_plain_and_accepts_errcode_zero(wechat, client):
    # jscode2session really answers with Content-Type text/plain; errcode 0 is success.
    wechat.routes[JSCODE2SESSION] = lambda request: httpx.Response(
        200,
        content=b'{"errcode": 0, "errmsg": "ok", "openid": "openid-tp", "session_key": "sk-tp"}',
        headers={"content-type": "text/plain"},
    )

    assert client.code_to_session("c") == WeChatSession(openid="openid-tp", session_key="sk-tp")


@pytest.mark.parametrize(
    ("errcode", "errmsg", "invalid_code"),
    [
        (40029, "invalid code", True),
        (40163, "code been used", True),
        (-1, "system error", False),
        (45011, "api minute-quota reach limit mustslower retry next minute", False),
    ],
)
def test_code_to_session_turns_errcode_in_a_200_answer_into_wechat_error(wechat, client, errcode, errmsg, invalid_code):
    wechat.routes[JSCODE2SESSION] = lambda request: error_answer(errcode, errmsg)

    with pytest.raises(WeChatError) as caught:
        client.code_to_session("some-code")

    assert caught.value.errcode == errcode
    assert caught.value.errmsg == errmsg
    assert caught.value.is_invalid_code is invalid_code
    assert str(errcode) in str(caught.value)


def test_system_busy_is_wechat_error_busy(wechat, client):
    wechat.routes[JSCODE2SESSION] = lambda request: error_answer(-1, "system error")

    with pytest.raises(WeChatError) as caught:
        client.code_to_session("c")

    assert caught.value.errcode == WeChatError.BUSY


@pytest.mark.parametrize("answer", [{"session_key": "sk-only"}, {"openid": "", "session_key": "sk"}, {}])
def test_code_to_session_without_openid_is_an_error(wechat, client, answer):
    wechat.routes[JSCODE2SESSION] = lambda request: httpx.Response(200, json=answer)

    with pytest.raises(WeChatError) as caught:
        client.code_to_session("c")

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert not caught.value.is_invalid_code


@pytest.mark.parametrize("status", [500, 502, 503, 504, 404, 429])
def test_http_error_status_is_a_transport_error(wechat, client, status):
    wechat.routes[JSCODE2SESSION] = lambda request: httpx.Response(status, json={"openid": "would-be-ignored"})

    with pytest.raises(WeChatError) as caught:
        client.code_to_session("c")

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert str(status) in caught.value.errmsg


@pytest.mark.parametrize("exception", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError, httpx.ReadError])
def test_network_failures_are_transport_errors(wechat, client, exception):
    def fail(request):
        raise exception("simulated", request=request)

    wechat.routes[JSCODE2SESSION] = fail

    with pytest.raises(WeChatError) as caught:
        client.code_to_session("c")

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert isinstance(caught.value.__cause__, exception)
    assert not caught.value.is_invalid_code


@pytest.mark.parametrize("exception", [httpx.ReadTimeout, httpx.ConnectTimeout])
def test_timeouts_are_reported_as_timeouts(wechat, client, exception):
    def fail(request):
        raise exception("too slow", request=request)

    wechat.routes[JSCODE2SESSION] = fail

    with pytest.raises(WeChatError) as caught:
        client.code_to_session("c")

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert "timeout" in caught.value.errmsg


@pytest.mark.parametrize(
    "content",
    [b"<html><body>502 Bad Gateway</body></html>", b"", b"\x80\x81 not utf-8", b'["a", "list"]', b"42"],
)
def test_an_answer_that_is_not_a_json_object_is_a_transport_error(wechat, client, content):
    wechat.routes[JSCODE2SESSION] = lambda request: httpx.Response(
        200, content=content, headers={"content-type": "text/html"}
    )

    with pytest.raises(WeChatError) as caught:
        client.code_to_session("c")

    assert caught.value.errcode == WeChatError.TRANSPORT


def test_client_defaults_come_from_settings(settings, wechat):
    settings.WECHAT_APPID = "wx-from-settings"
    settings.WECHAT_SECRET = "secret-from-settings"
    settings.WECHAT_API_BASE = "https://settings-wechat.test"
    settings.WECHAT_TIMEOUT_SECONDS = 2.5
    wechat.routes[JSCODE2SESSION] = lambda request: httpx.Response(200, json={"openid": "o"})
    live_client = LiveWeChatClient(transport=httpx.MockTransport(wechat))

    live_client.code_to_session("c")

    (request,) = wechat.requests
    assert request.url.host == "settings-wechat.test"
    assert params_of(request)["appid"] == "wx-from-settings"
    assert params_of(request)["secret"] == "secret-from-settings"
    assert live_client.http.timeout == httpx.Timeout(2.5)


# -- getuserphonenumber -------------------------------------------------------------------------


def test_get_phone_number_fetches_a_stable_token_then_posts_the_code(wechat, client):
    wechat.routes[PHONE] = lambda request: phone_answer("13800138000")

    phone = client.get_phone_number("phone-code-1")

    assert phone == WeChatPhone(phone="13800138000", pure_phone="13800138000", country_code="86")
    token_request, phone_request = wechat.requests
    assert token_request.method == "POST"
    assert token_request.url.path == STABLE_TOKEN
    assert body_of(token_request) == {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": SECRET,
        "force_refresh": False,
    }
    assert phone_request.method == "POST"
    assert phone_request.url.path == PHONE
    assert params_of(phone_request) == {"access_token": "token-1"}  # the secret is not sent along
    assert body_of(phone_request) == {"code": "phone-code-1"}


def test_non_mainland_phone_keeps_the_country_code_in_phone(wechat, client):
    wechat.routes[PHONE] = lambda request: phone_answer("61234567", phone="+85261234567", country="852")

    phone = client.get_phone_number("hk-code")

    assert phone.phone == "+85261234567"
    assert phone.pure_phone == "61234567"
    assert phone.country_code == "852"


def test_numeric_country_code_becomes_a_string_and_missing_phone_number_falls_back_to_pure(wechat, client):
    wechat.routes[PHONE] = lambda request: httpx.Response(
        200, json={"errcode": 0, "phone_info": {"purePhoneNumber": "13900139000", "countryCode": 86}}
    )

    assert client.get_phone_number("c") == WeChatPhone(phone="13900139000", pure_phone="13900139000", country_code="86")


@pytest.mark.parametrize(
    "answer",
    [{"errcode": 0, "errmsg": "ok"}, {"phone_info": {}}, {"phone_info": {"phoneNumber": "+85261234567"}}],
)
def test_phone_answer_without_a_pure_number_is_an_error(wechat, client, answer):
    wechat.routes[PHONE] = lambda request: httpx.Response(200, json=answer)

    with pytest.raises(WeChatError) as caught:
        client.get_phone_number("c")

    assert caught.value.errcode == WeChatError.TRANSPORT


def test_invalid_phone_code_is_invalid_code_and_does_not_refresh_the_token(wechat, client):
    wechat.routes[PHONE] = lambda request: error_answer(40029, "invalid code")

    with pytest.raises(WeChatError) as caught:
        client.get_phone_number("bad-code")

    assert caught.value.errcode == 40029
    assert caught.value.is_invalid_code
    assert len(wechat.calls(STABLE_TOKEN)) == 1
    assert len(wechat.calls(PHONE)) == 1


def test_phone_http_failure_is_a_transport_error(wechat, client):
    wechat.routes[PHONE] = lambda request: httpx.Response(503, text="Service Unavailable")

    with pytest.raises(WeChatError) as caught:
        client.get_phone_number("c")

    assert caught.value.errcode == WeChatError.TRANSPORT


# -- the access token: fetching and caching ------------------------------------------------------


def test_the_token_is_cached_so_later_calls_do_not_fetch_it_again(wechat, client):
    wechat.routes[PHONE] = lambda request: phone_answer()
    wechat.routes[WXACODE] = lambda request: image_answer(PNG_BYTES, "image/png")
    wechat.routes[SUBSCRIBE] = lambda request: error_answer(0, "ok")

    client.get_phone_number("a")
    client.get_phone_number("b")
    client.get_unlimited_code(scene="s")
    client.send_subscribe_message(openid="o", template_id="t", data={"k": "v"})

    assert len(wechat.calls(STABLE_TOKEN)) == 1
    assert cache.get(TOKEN_KEY) == "token-1"
    sent = wechat.calls(PHONE) + wechat.calls(WXACODE) + wechat.calls(SUBSCRIBE)
    assert tokens_sent(sent) == ["token-1"] * 4


def test_a_token_already_in_the_cache_is_used_without_fetching(wechat, client):
    cache.set(TOKEN_KEY, "token-from-another-worker", 600)
    wechat.routes[PHONE] = lambda request: phone_answer()

    assert client.get_access_token() == "token-from-another-worker"
    client.get_phone_number("c")

    assert wechat.calls(STABLE_TOKEN) == []
    assert tokens_sent(wechat.calls(PHONE)) == ["token-from-another-worker"]


@pytest.mark.parametrize(
    ("expires_in", "expected_ttl"),
    [
        (7200, 7200 - live.TOKEN_EXPIRY_MARGIN_SECONDS),
        (3600, 3600 - live.TOKEN_EXPIRY_MARGIN_SECONDS),
        (200, 60),
        (None, 7200 - live.TOKEN_EXPIRY_MARGIN_SECONDS),
    ],
)
def test_get_access_token_stores_the_token_with_a_ttl_from_expires_in(
    wechat, client, monkeypatch, expires_in, expected_ttl
):
    answer = {"access_token": "ttl-token"}
    if expires_in is not None:
        answer["expires_in"] = expires_in
    wechat.routes[STABLE_TOKEN] = lambda request: httpx.Response(200, json=answer)
    recording = RecordingCache(cache)
    monkeypatch.setattr(live, "cache", recording)

    assert client.get_access_token() == "ttl-token"

    assert recording.sets == [(TOKEN_KEY, "ttl-token", expected_ttl)]
    assert cache.get(TOKEN_KEY) == "ttl-token"
    if hasattr(cache, "ttl"):  # Redis: the expiry really reached the store
        assert expected_ttl - 5 <= cache.ttl(TOKEN_KEY) <= expected_ttl


def test_the_token_cache_is_per_appid(wechat):
    first, second = make_client(wechat, appid="wx-first"), make_client(wechat, appid="wx-second")

    assert first.get_access_token() == "token-1"
    assert second.get_access_token() == "token-2"
    assert first.get_access_token() == "token-1"

    assert [body_of(request)["appid"] for request in wechat.calls(STABLE_TOKEN)] == ["wx-first", "wx-second"]
    assert cache.get("wechat:access_token:wx-first") == "token-1"
    assert cache.get("wechat:access_token:wx-second") == "token-2"


def test_force_refresh_fetches_even_with_a_cached_token_and_replaces_it(wechat, client):
    assert client.get_access_token() == "token-1"

    assert client.get_access_token(force_refresh=True) == "token-2"
    assert client.get_access_token() == "token-2"

    assert [body_of(request)["force_refresh"] for request in wechat.calls(STABLE_TOKEN)] == [False, True]
    assert cache.get(TOKEN_KEY) == "token-2"


def test_stable_token_error_is_raised_and_nothing_is_cached(wechat, client):
    wechat.routes[STABLE_TOKEN] = lambda request: error_answer(40125, "invalid appsecret")
    wechat.routes[PHONE] = lambda request: phone_answer()

    with pytest.raises(WeChatError) as caught:
        client.get_phone_number("c")

    assert caught.value.errcode == 40125
    assert wechat.calls(PHONE) == []
    assert cache.get(TOKEN_KEY) is None


@pytest.mark.parametrize("answer", [{"expires_in": 7200}, {"access_token": "", "expires_in": 7200}])
def test_stable_token_answer_without_a_token_is_an_error(wechat, client, answer):
    wechat.routes[STABLE_TOKEN] = lambda request: httpx.Response(200, json=answer)

    with pytest.raises(WeChatError) as caught:
        client.get_access_token()

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert cache.get(TOKEN_KEY) is None


def test_stable_token_timeout_is_a_transport_error(wechat, client):
    def fail(request):
        raise httpx.ReadTimeout("slow", request=request)

    wechat.routes[STABLE_TOKEN] = fail

    with pytest.raises(WeChatError) as caught:
        client.get_access_token()

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert cache.get(TOKEN_KEY) is None


# -- the access token: WeChat says it died -------------------------------------------------------


def accept_only_latest_token(wechat: FakeWeChat, errcode: int = 40001, answer=phone_answer, content_type=None):
    """A route that behaves like WeChat: only the most recently issued token is valid."""

    def route(request):
        if request.url.params.get("access_token") != wechat.latest_token:
            return error_answer(errcode, "invalid credential, access_token is invalid or not latest", content_type)
        return answer()

    return route


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
def test_a_rejected_token_is_force_refreshed_once_and_the_call_retried(wechat, client, errcode):
    cache.set(TOKEN_KEY, "expired-token", 600)
    wechat.routes[PHONE] = accept_only_latest_token(
        wechat, errcode, answer=lambda: phone_answer("61234567", phone="+85261234567", country="852")
    )

    phone = client.get_phone_number("phone-code")

    assert phone == WeChatPhone(phone="+85261234567", pure_phone="61234567", country_code="852")
    (token_request,) = wechat.calls(STABLE_TOKEN)
    assert body_of(token_request) == {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": SECRET,
        "force_refresh": True,
    }
    assert tokens_sent(wechat.calls(PHONE)) == ["expired-token", "token-1"]
    assert [body_of(request) for request in wechat.calls(PHONE)] == [{"code": "phone-code"}] * 2
    assert cache.get(TOKEN_KEY) == "token-1"


def test_a_token_rejection_served_as_text_plain_is_recognised(wechat, client):
    cache.set(TOKEN_KEY, "expired-token", 600)
    wechat.routes[PHONE] = accept_only_latest_token(wechat, 40001, content_type="text/plain")

    assert client.get_phone_number("c").pure_phone == "13800138000"
    assert len(wechat.calls(STABLE_TOKEN)) == 1


def test_when_the_refreshed_token_is_rejected_too_the_error_is_raised_without_looping(wechat, client):
    def route(request):
        # Rejects the first two tokens; a client that kept refreshing would get a number on the third try.
        if len(wechat.calls(PHONE)) <= 2:
            return error_answer(40001, "invalid credential")
        return phone_answer()

    wechat.routes[PHONE] = route

    with pytest.raises(WeChatError) as caught:
        client.get_phone_number("c")

    assert caught.value.errcode == 40001
    assert not caught.value.is_invalid_code
    assert [body_of(request)["force_refresh"] for request in wechat.calls(STABLE_TOKEN)] == [False, True]
    assert tokens_sent(wechat.calls(PHONE)) == ["token-1", "token-2"]


def test_a_token_another_worker_refreshed_meanwhile_is_reused_without_a_forced_refresh(wechat, client):
    cache.set(TOKEN_KEY, "stale-token", 600)

    def route(request):
        if request.url.params["access_token"] == "stale-token":
            cache.set(TOKEN_KEY, "refreshed-by-another-worker", 600)  # it saw the 40001 first and refreshed
            return error_answer(40001, "invalid credential")
        if request.url.params["access_token"] == "refreshed-by-another-worker":
            return phone_answer("13700137000")
        return error_answer(40001, "invalid credential")

    wechat.routes[PHONE] = route

    assert client.get_phone_number("c").pure_phone == "13700137000"
    # A forced refresh would invalidate the other worker's fresh token at WeChat: none must happen.
    assert wechat.calls(STABLE_TOKEN) == []
    assert tokens_sent(wechat.calls(PHONE)) == ["stale-token", "refreshed-by-another-worker"]


def test_concurrent_requests_rejected_with_the_same_token_cause_one_forced_refresh(wechat, client):
    threads_count = 6
    cache.set(TOKEN_KEY, "stale-token", 600)
    all_rejected = threading.Barrier(threads_count, timeout=10)

    def route(request):
        if request.url.params["access_token"] == "stale-token":
            all_rejected.wait()  # every request is in flight with the dead token before any answer comes
            return error_answer(40001, "invalid credential")
        return accept_only_latest_token(wechat)(request)

    wechat.routes[PHONE] = route
    results, errors = [], []

    def worker():
        try:
            results.append(client.get_phone_number("c"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert [phone.pure_phone for phone in results] == ["13800138000"] * threads_count
    assert len(wechat.calls(STABLE_TOKEN)) == 1
    assert body_of(wechat.calls(STABLE_TOKEN)[0])["force_refresh"] is True
    assert cache.get(TOKEN_KEY) == "token-1"


# -- the access token: concurrency -------------------------------------------------------------


@pytest.mark.parametrize("shared_client", [True, False], ids=["one-client", "client-per-thread"])
def test_concurrent_first_fetch_makes_exactly_one_stable_token_request(wechat, shared_client):
    threads_count = 8
    fetch_started, release_fetch = threading.Event(), threading.Event()
    issue = wechat.stable_token

    def slow_stable_token(request):
        fetch_started.set()
        assert release_fetch.wait(timeout=10)
        return issue(request)

    wechat.routes[STABLE_TOKEN] = slow_stable_token
    clients = (
        [make_client(wechat)] * threads_count if shared_client else [make_client(wechat) for _ in range(threads_count)]
    )
    start = threading.Barrier(threads_count, timeout=10)
    results, errors = [], []

    def worker(live_client):
        try:
            start.wait()
            results.append(live_client.get_access_token())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(live_client,)) for live_client in clients]
    for thread in threads:
        thread.start()
    assert fetch_started.wait(timeout=10)
    time.sleep(0.3)  # let the other threads pile up behind the fetch in progress
    release_fetch.set()
    for thread in threads:
        thread.join(timeout=20)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert results == ["token-1"] * threads_count
    assert len(wechat.calls(STABLE_TOKEN)) == 1
    assert cache.get(TOKEN_KEY) == "token-1"


def test_waiting_too_long_for_another_token_fetch_is_a_wechat_error(wechat, client, monkeypatch):
    monkeypatch.setattr(live, "TOKEN_LOCK_WAIT_SECONDS", 0.3)
    if hasattr(cache, "lock"):  # Redis: another process holds the fetch lock
        held = cache.lock(f"{TOKEN_KEY}:lock", timeout=10)
        assert held.acquire(blocking=False)
    else:  # local memory: another thread holds it
        held = live._local_token_lock
        assert held.acquire(blocking=False)
    try:
        with pytest.raises(WeChatError) as caught:
            client.get_access_token()
    finally:
        held.release()

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert wechat.calls(STABLE_TOKEN) == []
    # Once the lock is free the same client fetches normally.
    assert client.get_access_token() == "token-1"


def test_a_cached_token_is_returned_without_waiting_for_a_fetch_in_progress(wechat, client, monkeypatch):
    monkeypatch.setattr(live, "TOKEN_LOCK_WAIT_SECONDS", 2)
    cache.set(TOKEN_KEY, "cached-token", 600)
    if hasattr(cache, "lock"):
        held = cache.lock(f"{TOKEN_KEY}:lock", timeout=10)
        assert held.acquire(blocking=False)
    else:
        held = live._local_token_lock
        assert held.acquire(blocking=False)
    try:
        started = time.monotonic()
        token = client.get_access_token()
        waited = time.monotonic() - started
    finally:
        held.release()

    assert token == "cached-token"
    assert waited < 1
    assert wechat.calls(STABLE_TOKEN) == []


# -- getwxacodeunlimit --------------------------------------------------------------------------


def test_unlimited_code_returns_the_image_bytes_and_sends_scene_page_width(wechat, client):
    wechat.routes[WXACODE] = lambda request: image_answer(JPEG_BYTES, "image/jpeg")

    image = client.get_unlimited_code(scene="ref=AB12CD", page="pages/index/index", width=280)

    assert image == JPEG_BYTES
    (request,) = wechat.calls(WXACODE)
    assert request.method == "POST"
    assert params_of(request) == {"access_token": "token-1"}
    assert body_of(request) == {"scene": "ref=AB12CD", "width": 280, "check_path": False, "page": "pages/index/index"}


def test_unlimited_code_without_page_omits_it_and_uses_the_default_width(wechat, client):
    wechat.routes[WXACODE] = lambda request: image_answer(PNG_BYTES, "image/png")

    assert client.get_unlimited_code(scene="s=1") == PNG_BYTES
    assert body_of(wechat.calls(WXACODE)[0]) == {"scene": "s=1", "width": 430, "check_path": False}


def test_unlimited_code_json_error_is_raised_with_its_errcode(wechat, client):
    wechat.routes[WXACODE] = lambda request: error_answer(41030, "invalid page rid: 0")

    with pytest.raises(WeChatError) as caught:
        client.get_unlimited_code(scene="s", page="pages/missing/missing")

    assert caught.value.errcode == 41030
    assert "invalid page" in caught.value.errmsg
    assert len(wechat.calls(STABLE_TOKEN)) == 1  # not a token problem: no refresh


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"errcode": 0, "errmsg": "ok"}),
        httpx.Response(200, content=b"<html>oops</html>", headers={"content-type": "text/html"}),
        httpx.Response(500, content=JPEG_BYTES, headers={"content-type": "image/jpeg"}),
    ],
    ids=["json-without-error", "html", "http-500"],
)
def test_unlimited_code_without_an_image_is_a_transport_error(wechat, client, answer):
    wechat.routes[WXACODE] = lambda request: answer

    with pytest.raises(WeChatError) as caught:
        client.get_unlimited_code(scene="s")

    assert caught.value.errcode == WeChatError.TRANSPORT


def test_unlimited_code_refreshes_a_rejected_token_and_returns_the_image(wechat, client):
    cache.set(TOKEN_KEY, "expired-token", 600)
    wechat.routes[WXACODE] = accept_only_latest_token(wechat, 42001, answer=image_answer)

    assert client.get_unlimited_code(scene="s", page="p") == JPEG_BYTES
    assert tokens_sent(wechat.calls(WXACODE)) == ["expired-token", "token-1"]
    assert body_of(wechat.calls(STABLE_TOKEN)[0])["force_refresh"] is True


# -- subscribe messages ---------------------------------------------------------------------------


def test_subscribe_message_sends_touser_template_and_wrapped_data(wechat, client):
    wechat.routes[SUBSCRIBE] = lambda request: error_answer(0, "ok")

    result = client.send_subscribe_message(
        openid="openid-9",
        template_id="TPL-123",
        data={"thing1": "Daily check-in", "number2": 3, "time3": "2025-01-01 08:00"},
        page="pages/checkin/index",
    )

    assert result is None
    (request,) = wechat.calls(SUBSCRIBE)
    assert request.method == "POST"
    assert params_of(request) == {"access_token": "token-1"}
    assert body_of(request) == {
        "touser": "openid-9",
        "template_id": "TPL-123",
        "data": {
            "thing1": {"value": "Daily check-in"},
            "number2": {"value": 3},
            "time3": {"value": "2025-01-01 08:00"},
        },
        "page": "pages/checkin/index",
    }


def test_subscribe_message_without_page_omits_it(wechat, client):
    wechat.routes[SUBSCRIBE] = lambda request: error_answer(0, "ok")

    client.send_subscribe_message(openid="o", template_id="t", data={})

    assert body_of(wechat.calls(SUBSCRIBE)[0]) == {"touser": "o", "template_id": "t", "data": {}}


@pytest.mark.parametrize("errcode", [43101, 47003, 40003])
def test_subscribe_message_error_is_raised(wechat, client, errcode):
    wechat.routes[SUBSCRIBE] = lambda request: error_answer(errcode, "refused")

    with pytest.raises(WeChatError) as caught:
        client.send_subscribe_message(openid="o", template_id="t", data={"k": "v"})

    assert caught.value.errcode == errcode
    assert len(wechat.calls(SUBSCRIBE)) == 1


def test_subscribe_message_refreshes_a_rejected_token(wechat, client):
    cache.set(TOKEN_KEY, "expired-token", 600)
    wechat.routes[SUBSCRIBE] = accept_only_latest_token(wechat, 40001, answer=lambda: error_answer(0, "ok"))

    client.send_subscribe_message(openid="o", template_id="t", data={"k": "v"})

    assert tokens_sent(wechat.calls(SUBSCRIBE)) == ["expired-token", "token-1"]
    assert [body_of(request)["data"] for request in wechat.calls(SUBSCRIBE)] == [{"k": {"value": "v"}}] * 2


# -- a real local HTTP server -----------------------------------------------------------------------


class WeChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), WeChatHandler)
        self.requests: list[dict] = []
        self.issued: list[str] = []
        self.unblock = threading.Event()
        self.state_lock = threading.Lock()

    def handle_error(self, request, client_address):
        pass  # a client that timed out and hung up is expected here


class WeChatHandler(BaseHTTPRequestHandler):
    server: WeChatServer

    def log_message(self, format, *args):
        pass

    def _record(self) -> tuple[str, dict, dict]:
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        with self.server.state_lock:
            self.server.requests.append({"method": self.command, "path": url.path, "query": query, "body": body})
        return url.path, query, body

    def _answer(self, payload: dict, status: int = 200, content_type: str = "application/json; encoding=utf-8"):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path, query, _ = self._record()
        if path != JSCODE2SESSION:
            return self._answer({"errcode": 404, "errmsg": "no such api"}, status=404)
        if query.get("appid") != APPID or query.get("secret") != SECRET:
            return self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
        code = query.get("js_code", "")
        if query.get("grant_type") != "authorization_code" or code == "bad-code":
            return self._answer({"errcode": 40029, "errmsg": "invalid code"}, content_type="text/plain")
        if code == "http-500":
            return self._answer({"errmsg": "internal"}, status=500)
        if code == "slow":
            self.server.unblock.wait(timeout=5)
        return self._answer(
            {"openid": f"openid-{code}", "session_key": "sk-real", "unionid": "union-real"}, content_type="text/plain"
        )

    def do_POST(self):
        path, query, body = self._record()
        if path == STABLE_TOKEN:
            expected = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
            if {name: body.get(name) for name in expected} != expected:
                return self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
            with self.server.state_lock:
                token = f"real-token-{len(self.server.issued) + 1}"
                self.server.issued.append(token)
            return self._answer({"access_token": token, "expires_in": 7200})
        if path == PHONE:
            with self.server.state_lock:
                latest = self.server.issued[-1] if self.server.issued else None
            if query.get("access_token") != latest:
                return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
            if body.get("code") == "hk-code":
                info = {"phoneNumber": "+85261234567", "purePhoneNumber": "61234567", "countryCode": "852"}
            elif body.get("code") == "bad-code":
                return self._answer({"errcode": 40029, "errmsg": "invalid code"})
            else:
                info = {"phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86"}
            return self._answer({"errcode": 0, "errmsg": "ok", "phone_info": info})
        return self._answer({"errcode": 404, "errmsg": "no such api"}, status=404)


@pytest.fixture
def wechat_server():
    server = WeChatServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.unblock.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def server_client(server: WeChatServer, **kwargs) -> LiveWeChatClient:
    return LiveWeChatClient(appid=APPID, secret=SECRET, api_base=f"http://127.0.0.1:{server.server_port}", **kwargs)


def test_real_server_login_and_phone(wechat_server):
    live_client = server_client(wechat_server)

    session = live_client.code_to_session("js-code-1")
    mainland = live_client.get_phone_number("phone-code")
    hong_kong = live_client.get_phone_number("hk-code")

    assert session == WeChatSession(openid="openid-js-code-1", session_key="sk-real", unionid="union-real")
    assert mainland == WeChatPhone(phone="13800138000", pure_phone="13800138000", country_code="86")
    assert hong_kong == WeChatPhone(phone="+85261234567", pure_phone="61234567", country_code="852")
    login, token, phone_1, phone_2 = wechat_server.requests
    assert login == {
        "method": "GET",
        "path": JSCODE2SESSION,
        "query": {"appid": APPID, "secret": SECRET, "js_code": "js-code-1", "grant_type": "authorization_code"},
        "body": {},
    }
    assert token["path"] == STABLE_TOKEN
    assert token["body"] == {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": SECRET,
        "force_refresh": False,
    }
    assert phone_1["query"] == phone_2["query"] == {"access_token": "real-token-1"}  # the cached token reused
    assert [phone_1["body"], phone_2["body"]] == [{"code": "phone-code"}, {"code": "hk-code"}]
    assert cache.get(TOKEN_KEY) == "real-token-1"


def test_real_server_expired_token_is_force_refreshed(wechat_server):
    cache.set(TOKEN_KEY, "expired-token", 600)
    live_client = server_client(wechat_server)

    assert live_client.get_phone_number("phone-code").pure_phone == "13800138000"

    paths = [(request["path"], request["query"].get("access_token")) for request in wechat_server.requests]
    assert paths == [(PHONE, "expired-token"), (STABLE_TOKEN, None), (PHONE, "real-token-1")]
    assert wechat_server.requests[1]["body"]["force_refresh"] is True


def test_real_server_error_answers(wechat_server):
    live_client = server_client(wechat_server)

    with pytest.raises(WeChatError) as invalid:
        live_client.code_to_session("bad-code")
    with pytest.raises(WeChatError) as server_error:
        live_client.code_to_session("http-500")
    with pytest.raises(WeChatError) as invalid_phone:
        live_client.get_phone_number("bad-code")

    assert (invalid.value.errcode, invalid.value.is_invalid_code) == (40029, True)
    assert (server_error.value.errcode, server_error.value.is_invalid_code) == (WeChatError.TRANSPORT, False)
    assert (invalid_phone.value.errcode, invalid_phone.value.is_invalid_code) == (40029, True)


def test_real_server_wrong_secret_fails_the_token_fetch(wechat_server):
    live_client = LiveWeChatClient(
        appid=APPID, secret="wrong-secret", api_base=f"http://127.0.0.1:{wechat_server.server_port}"
    )

    with pytest.raises(WeChatError) as caught:
        live_client.get_phone_number("phone-code")

    assert caught.value.errcode == 40125
    assert [request["path"] for request in wechat_server.requests] == [STABLE_TOKEN]


def test_real_server_too_slow_is_a_timeout(wechat_server):
    live_client = server_client(wechat_server, timeout=0.3)

    started = time.monotonic()
    with pytest.raises(WeChatError) as caught:
        live_client.code_to_session("slow")

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert time.monotonic() - started < 3


def test_refused_connection_is_a_transport_error():
    with socket.socket() as probe:  # a port that was free a moment ago, with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live_client = LiveWeChatClient(appid=APPID, secret=SECRET, api_base=f"http://127.0.0.1:{port}", timeout=2)

    with pytest.raises(WeChatError) as caught:
        live_client.code_to_session("c")

    assert caught.value.errcode == WeChatError.TRANSPORT
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
