"""Regressions for what the schema fuzz (test_fuzz.py) found, and the schema's error documentation."""

import json

import pytest
from django.core.management import call_command

from tests.mall.factories import ProductFactory, give_points
from tests.reliability.helpers import state_fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(tmp_path) -> dict:
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    return json.loads(out.read_text())


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method.upper(), operation


def test_every_operation_documents_its_error_answers_with_the_error_shape(schema):
    error = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "detail"}
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        # The statuses that follow from the shape; the operation's own codes add the rest.
        expected = {"429"}
        if operation.get("security") and {} not in operation["security"]:
            expected.add("401")
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "413", "415"}
        if method in {"POST", "PATCH", "PUT", "DELETE"}:
            expected.add("503")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in responses:
            if status.startswith(("4", "5")):
                assert responses[status]["content"]["application/json"]["schema"] == error, (method, path, status)


def test_operations_calling_wechat_document_502_and_login_refusals_401(schema):
    assert "502" in schema["paths"]["/api/auth/wechat/login"]["post"]["responses"]
    assert "502" in schema["paths"]["/api/me/phone"]["post"]["responses"]
    assert "401" in schema["paths"]["/api/auth/staff/login"]["post"]["responses"]
    assert "401" in schema["paths"]["/api/auth/refresh"]["post"]["responses"]


def test_wall_clock_times_are_documented_as_hh_mm(schema):
    window = schema["components"]["schemas"]["ChallengeOutput"]["properties"]["window_start"]
    assert "format" not in window and window["pattern"].startswith("^")


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=-1", "page_size=0", "page_size=null", "page="])
def test_a_bad_page_or_page_size_is_400_not_a_silent_default(user_client, query):
    response = user_client.get(f"/api/points/history?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_page"


def test_a_page_past_the_end_is_404_and_a_good_page_is_200(user_client):
    assert user_client.get("/api/points/history?page=1&page_size=5").status_code == 200
    response = user_client.get("/api/points/history?page=9")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unknown_coupon_status_is_400_not_every_coupon(user_client):
    response = user_client.get("/api/mall/coupons?status=AAA")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "status" in response.json()["fields"]
    assert user_client.get("/api/mall/coupons?status=unused").status_code == 200
    assert user_client.get("/api/mall/coupons?status=").status_code == 200


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart"])
def test_an_empty_nickname_sent_as_a_form_is_refused_not_ignored(user, user_client, content_type):
    before = state_fingerprint()
    if content_type == "multipart":
        response = user_client.patch("/api/me", {"nickname": "", "avatar_url": "https://x.example/a.png"})
    else:
        response = user_client.patch(
            "/api/me", "nickname=&avatar_url=https%3A%2F%2Fx.example%2Fa.png", content_type=content_type
        )

    assert response.status_code == 400
    assert "nickname" in response.json()["fields"]
    user.refresh_from_db()
    assert user.avatar_url == ""
    assert state_fingerprint() == before


def test_an_empty_avatar_url_still_clears_it(user, user_client):
    user_client.patch("/api/me", {"avatar_url": "https://x.example/a.png"}, format="json")
    response = user_client.patch("/api/me", {"avatar_url": ""}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.avatar_url == ""
    assert user_client.patch("/api/me", {"avatar_url": "not a url"}, format="json").status_code == 400


def test_a_refused_redemption_changes_nothing(user, user_client):
    product = ProductFactory(price=500, stock=2)
    give_points(user, 100)
    before = state_fingerprint()

    response = user_client.post("/api/mall/redemptions", {"product": product.pk, "quantity": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "insufficient_points"
    assert state_fingerprint() == before
