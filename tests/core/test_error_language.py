"""Error details speak the request's language: Chinese by default, English with `Accept-Language: en`,
DRF's and simplejwt's own messages included."""

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.throttling import SimpleRateThrottle

from tests.reliability.helpers import set_throttle_rates

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/wechat/login"

# (method, path, request kwargs, Chinese detail, English detail)
MESSAGES = {
    "not_authenticated (DRF)": (
        "get",
        "/api/me",
        {},
        "身份认证信息未提供。",
        "Authentication credentials were not provided.",
    ),
    "token_not_valid (simplejwt)": (
        "get",
        "/api/me",
        {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
        "此令牌对任何类型的令牌无效",
        "Given token not valid for any token type",
    ),
    "field required (DRF)": (
        "post",
        LOGIN,
        {"data": "{}", "content_type": "application/json"},
        "请求中有无效的字段。",
        "The request has invalid fields.",
    ),
    "method_not_allowed (DRF)": (
        "delete",
        LOGIN,
        {},
        "方法 “DELETE” 不被允许。",
        'Method "DELETE" not allowed.',
    ),
    "not_found (ours)": ("get", "/api/nonsense", {}, "未找到。", "Not found."),
}


def _detail(method, path, kwargs, language=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = getattr(Client(), method)(path, **kwargs, **headers)
    assert 400 <= response.status_code < 500, response.content
    return response.json()["detail"]


@pytest.mark.parametrize("name", MESSAGES)
def test_chinese_by_default_english_on_request(name):
    method, path, kwargs, chinese, english = MESSAGES[name]

    assert _detail(method, path, kwargs) == chinese
    assert _detail(method, path, kwargs, "zh-CN") == chinese  # what a phone set to Chinese sends
    assert _detail(method, path, kwargs, "en") == english
    assert _detail(method, path, kwargs, "en-US,en;q=0.9") == english


# Messages whose Chinese is in our own catalog (locale/zh_Hans/LC_MESSAGES/django.po), not a
# library's: (method, path, request kwargs, msgid, its parameters).
OURS = {
    # DRF's own text is "JSON parse error - Expecting value: line 1 column 10 (char 9)", in every language.
    "JSON parse error": (
        "post",
        LOGIN,
        {"data": '{"code": ', "content_type": "application/json"},
        "JSON parse error at line %(line)d, column %(column)d.",
        {"line": 1, "column": 10},
    ),
    # simplejwt's Chinese catalog has this one fuzzy (untranslated).
    "refresh token_not_valid (simplejwt)": (
        "post",
        "/api/auth/refresh",
        {"data": '{"refresh": "not-a-token"}', "content_type": "application/json"},
        "Token is invalid",
        {},
    ),
    "trailing slash": (
        "get",
        "/api/me/",
        {},
        "Not found. API paths end without a slash: try %(path)s.",
        {"path": "/api/me"},
    ),
}


@pytest.mark.parametrize("name", OURS)
def test_our_messages_in_the_request_language(name):
    method, path, kwargs, msgid, params = OURS[name]

    english = _detail(method, path, kwargs, "en")
    chinese = _detail(method, path, kwargs)

    assert english == (msgid % params if params else msgid)
    with translation.override("zh-hans"):
        expected = translation.gettext(msgid)
    assert chinese == (expected % params if params else expected)


def test_a_body_that_is_not_utf8_is_a_translated_parse_error():
    response = Client().post(
        LOGIN, data=b'{"code": "\xff"}', content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"code": "malformed_request", "detail": "JSON parse error: the body is not valid JSON."}


def test_throttled_in_both_languages(monkeypatch):
    set_throttle_rates(monkeypatch, {**SimpleRateThrottle.THROTTLE_RATES, "login": "1/min"})
    login = {"data": '{"code": "lang"}', "content_type": "application/json"}
    assert Client().post(LOGIN, **login).status_code == 200

    chinese = _detail("post", LOGIN, login)
    english = _detail("post", LOGIN, login, "en")

    assert chinese.startswith("请求已被限流。") and "秒后可用" in chinese
    assert english.startswith("Request was throttled. Expected available in ")


def test_a_body_refused_before_the_view_speaks_this_request_language_not_the_last_one(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    big = {"data": '{"code": "' + "a" * 200 + '"}', "content_type": "application/json"}

    # The same thread serves each request after another in another language.
    assert _detail("get", "/api/me", {}, "en") == "Authentication credentials were not provided."
    assert _detail("post", LOGIN, big) == "请求内容过大。"
    assert _detail("post", LOGIN, big, "en") == "The request body is too large."
    assert _detail("post", LOGIN, big) == "请求内容过大。"
