import pytest

from core.models import User

pytestmark = pytest.mark.django_db


def login(api_client, code, **extra):
    return api_client.post("/api/auth/wechat/login", {"code": code, **extra}, format="json")


def test_login_twice_with_same_code_gives_same_user_and_is_new_only_first(api_client):
    first = login(api_client, "alice")
    second = login(api_client, "alice")

    assert first.status_code == 200, first.json()
    assert second.status_code == 200
    assert first.json()["user"]["is_new"] is True
    assert second.json()["user"]["is_new"] is False
    assert first.json()["user"]["id"] == second.json()["user"]["id"]
    assert User.objects.get(openid="fake-alice").pk == first.json()["user"]["id"]
    assert first.json()["access"] and first.json()["refresh"]


def test_login_with_invalid_code_is_400_and_creates_nobody(api_client):
    response = login(api_client, "invalid-code")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_wechat_code"
    assert User.objects.count() == 0


def test_login_when_wechat_busy_is_502_and_creates_nobody(api_client):
    response = login(api_client, "busy-1")

    assert response.status_code == 502
    assert response.json()["code"] == "wechat_unavailable"
    assert User.objects.count() == 0


def test_me_without_token_is_401_with_code(api_client):
    response = api_client.get("/api/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_with_garbage_token_is_401_with_code(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    response = api_client.get("/api/me")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_me_with_login_token(api_client):
    token = login(api_client, "bob").json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    me = api_client.get("/api/me").json()

    assert me["phone_verified"] is False
    assert "openid" not in me and "phone" not in me


def test_patch_me_updates_nickname(user_client):
    response = user_client.patch("/api/me", {"nickname": "  新昵称 "}, format="json")

    assert response.status_code == 200
    assert response.json()["nickname"] == "新昵称"


def test_patch_me_rejects_bad_avatar_url_and_changes_nothing(user, user_client):
    before = user.nickname
    response = user_client.patch("/api/me", {"nickname": "x", "avatar_url": "not a url"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "avatar_url" in response.json()["fields"]
    user.refresh_from_db()
    assert user.nickname == before


def test_phone_verification_in_fake_mode(user, user_client):
    response = user_client.post("/api/me/phone", {"code": "13800000001"}, format="json")

    assert response.status_code == 200
    assert response.json()["phone_verified"] is True
    user.refresh_from_db()
    assert user.phone == "13800000001"
    assert user.phone_verified


def test_phone_verification_with_bad_code_is_400(user, user_client):
    response = user_client.post("/api/me/phone", {"code": "12345"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_wechat_code"
    user.refresh_from_db()
    assert not user.phone_verified


def test_refresh_rotates_and_old_refresh_is_refused(api_client):
    refresh = login(api_client, "carol").json()["refresh"]

    first = api_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")
    again = api_client.post("/api/auth/refresh", {"refresh": refresh}, format="json")

    assert first.status_code == 200 and first.json()["access"]
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"


def test_staff_login_accepts_staff_only(api_client):
    from tests.factories import StaffFactory, UserFactory

    StaffFactory(username="desk1")
    UserFactory(username="plain1", password="unused-password-1")

    ok = api_client.post(
        "/api/auth/staff/login", {"username": "desk1", "password": "staff-password-2026"}, format="json"
    )
    wrong = api_client.post("/api/auth/staff/login", {"username": "desk1", "password": "nope"}, format="json")
    customer = api_client.post(
        "/api/auth/staff/login", {"username": "plain1", "password": "unused-password-1"}, format="json"
    )

    assert ok.status_code == 200 and ok.json()["access"]
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    assert customer.status_code == 401 and customer.json()["code"] == "invalid_credentials"


def test_store_staff_without_admin_access_log_in_for_the_desk(api_client):
    """A clerk added with store_staff_add (门店核销员, not is_staff) takes tokens for the desk's
    scanner: verifying vouchers and recording visits need them."""
    from mall.models import Store
    from mall.services import store_staff_add

    clerk = store_staff_add(store=Store.objects.create(name="门店"), username="desk2", password="desk-password-2026")
    assert not clerk.is_staff

    ok = api_client.post(
        "/api/auth/staff/login", {"username": "desk2", "password": "desk-password-2026"}, format="json"
    )

    assert ok.status_code == 200 and ok.json()["access"]


def test_login_is_throttled(api_client, settings):
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "login": "3/min"}
    try:
        responses = [login(api_client, f"t{i}") for i in range(4)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[3].json()["code"] == "throttled"
    assert User.objects.filter(openid="fake-t3").exists() is False
