"""`generate_urllink`, the URL Link that opens the mini-program from a browser: the live client
against httpx.MockTransport (the same mocked WeChat as tests/core/test_wechat_live.py), and the fake."""

import httpx
import pytest
from django.core.cache import cache

from core.wechat import URLLINK_MAX_DAYS, WeChatError
from core.wechat.fake import FAKE_URLLINK_BASE, FakeWeChatClient
from tests.core.test_wechat_live import (
    STABLE_TOKEN,
    TOKEN_KEY,
    FakeWeChat,
    accept_only_latest_token,
    body_of,
    error_answer,
    make_client,
    params_of,
    tokens_sent,
)

URLLINK = "/wxa/generate_urllink"
LINK = "https://wxaurl.cn/AbCdEf12345"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def wechat() -> FakeWeChat:
    return FakeWeChat()


@pytest.fixture
def client(wechat):
    live_client = make_client(wechat)
    yield live_client
    live_client.http.close()


def link_answer(link: str = LINK) -> httpx.Response:
    return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", "url_link": link})


def test_urllink_sends_path_query_and_expiry_with_the_token_and_returns_the_link(wechat, client):
    wechat.routes[URLLINK] = lambda request: link_answer()

    link = client.generate_urllink("pages/index/index", "r=7KQ2MX4", expire_days=7)

    assert link == LINK
    (request,) = wechat.calls(URLLINK)
    assert request.method == "POST"
    assert params_of(request) == {"access_token": "token-1"}
    assert body_of(request) == {
        "path": "pages/index/index",
        "query": "r=7KQ2MX4",
        "expire_type": 1,
        "expire_interval": 7,
        "env_version": "release",
    }


def test_urllink_drops_a_leading_slash_and_defaults_to_the_longest_life(wechat, client):
    wechat.routes[URLLINK] = lambda request: link_answer()

    client.generate_urllink("/pages/index/index")

    body = body_of(wechat.calls(URLLINK)[0])
    assert body["path"] == "pages/index/index" and body["query"] == ""
    assert body["expire_interval"] == URLLINK_MAX_DAYS


@pytest.mark.parametrize("days", [0, URLLINK_MAX_DAYS + 1])
def test_urllink_refuses_a_life_wechat_does_not_allow_without_calling_it(wechat, client, days):
    with pytest.raises(ValueError):
        client.generate_urllink("pages/index/index", expire_days=days)

    assert wechat.requests == []


@pytest.mark.parametrize("errcode", [40165, 85402, 44990])  # bad path, quota used up, too frequent
def test_urllink_error_is_raised_with_its_errcode_and_no_token_refresh(wechat, client, errcode):
    wechat.routes[URLLINK] = lambda request: error_answer(errcode, "refused")

    with pytest.raises(WeChatError) as caught:
        client.generate_urllink("pages/missing/missing", "r=1")

    assert caught.value.errcode == errcode
    assert len(wechat.calls(STABLE_TOKEN)) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"errcode": 0, "errmsg": "ok"}),
        httpx.Response(200, json={"errcode": 0, "url_link": "javascript:alert(1)"}),
        httpx.Response(200, content=b"<html>oops</html>", headers={"content-type": "text/html"}),
        httpx.Response(502, json={"url_link": LINK}),
    ],
    ids=["no-link", "not-https", "html", "http-502"],
)
def test_urllink_without_a_usable_link_is_a_transport_error(wechat, client, answer):
    wechat.routes[URLLINK] = lambda request: answer

    with pytest.raises(WeChatError) as caught:
        client.generate_urllink("pages/index/index", "r=1")

    assert caught.value.errcode == WeChatError.TRANSPORT


def test_urllink_refreshes_a_rejected_token_once_and_retries(wechat, client):
    cache.set(TOKEN_KEY, "expired-token", 600)
    wechat.routes[URLLINK] = accept_only_latest_token(wechat, 42001, answer=link_answer)

    assert client.generate_urllink("pages/index/index", "r=1") == LINK
    assert tokens_sent(wechat.calls(URLLINK)) == ["expired-token", "token-1"]
    assert body_of(wechat.calls(STABLE_TOKEN)[0])["force_refresh"] is True


def test_the_fake_gives_a_placeholder_link_that_names_the_page_and_query():
    fake = FakeWeChatClient()

    link = fake.generate_urllink("/pages/index/index", "r=7KQ2MX4", expire_days=3)

    assert link.startswith(FAKE_URLLINK_BASE) and ".invalid/" in link  # a reserved domain: never real
    assert "pages%2Findex%2Findex" in link and "r%3D7KQ2MX4" in link
    assert fake.urllinks == [{"path": "/pages/index/index", "query": "r=7KQ2MX4", "expire_days": 3}]
    with pytest.raises(ValueError):
        fake.generate_urllink("pages/index/index", expire_days=0)
