"""One error format for every error: {"code", "detail"} (+ "fields"), 4xx, never a 500 for bad input."""

import pytest

pytestmark = pytest.mark.django_db


def test_malformed_json_is_400_with_code(api_client):
    response = api_client.post("/api/auth/wechat/login", data='{"code": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_request"
    assert body["detail"]


def test_missing_field_is_400_with_fields(api_client):
    response = api_client.post("/api/auth/wechat/login", {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "code" in response.json()["fields"]


@pytest.mark.parametrize("body", ['{"code": 5}', '{"code": ["a"]}', '{"code": null}', "[]", '"text"', "123"])
def test_wrong_types_are_400_not_500(api_client, body):
    response = api_client.post("/api/auth/wechat/login", data=body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"invalid", "malformed_request"}


def test_oversized_body_is_413_with_code(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.post(
        "/api/auth/wechat/login", data='{"code": "' + "a" * 5000 + '"}', content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_unsupported_media_type_is_415_with_code(api_client):
    response = api_client.post("/api/auth/wechat/login", data="code=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_wrong_method_is_405_with_code(api_client):
    response = api_client.delete("/api/auth/wechat/login")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/does-not-exist")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_application_error_renders_code_detail_and_status():
    from rest_framework.test import APIRequestFactory

    from core.api.exception_handlers import api_exception_handler
    from core.exceptions import ApplicationError

    request = APIRequestFactory().get("/")
    response = api_exception_handler(ApplicationError("out_of_stock", "没有库存了", 409), {"request": request})

    assert response.status_code == 409
    assert response.data == {"code": "out_of_stock", "detail": "没有库存了"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/referral/poster?template=",
        "/api/referral/leaderboard?limit=",
        "/api/mall/products?affordable=",
        "/api/points/signin/calendar?month=",
    ],
)
def test_an_empty_query_value_is_400_not_the_default(user_client, path):
    # DRF reads `?limit=` as "not sent"; the schema says a number, so "" is a wrong type.
    response = user_client.get(path)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [path.split("?")[1].rstrip("=")]


def test_a_blank_choice_that_allows_blank_still_means_all(user_client):
    response = user_client.get("/api/mall/coupons?status=")

    assert response.status_code == 200, response.content


def test_a_string_longer_than_the_schema_allows_is_refused_even_with_spaces_around(user_client):
    # " E" and 63 more characters: 65 sent, 64 after trimming; the schema's maxLength is 64.
    response = user_client.patch("/api/me", {"nickname": " E" + "*" * 63}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["nickname"]
