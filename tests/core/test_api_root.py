"""The API's front door (core/api/root.py): an index at /api/, and JSON 404s for every other path.

Each 404 is checked with DEBUG off and on: `make run` debugs, and Django then answers an unmatched
path with its HTML page (or, for a POST that APPEND_SLASH would redirect, a 500).
"""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_index_names_the_api_and_links_its_docs_and_schema(client, settings):
    response = client.get("/api/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == settings.SPECTACULAR_SETTINGS["TITLE"]
    assert body["version"] == settings.SPECTACULAR_SETTINGS["VERSION"]
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert client.get(body["docs"]).status_code == 200
    assert client.get(body["schema"], HTTP_ACCEPT="application/json").status_code == 200


def test_the_index_lists_the_top_level_path_groups(client):
    groups = client.get("/api/").json()["groups"]

    assert {"auth", "me", "points", "challenges", "mall", "referral", "groupbuys", "assists", "slots"} <= set(groups)
    assert groups == sorted(set(groups))
    assert all("<" not in group and "^" not in group for group in groups)


def test_the_index_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert schema["paths"]["/api/"]["get"]["operationId"] == "api_index"


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/me/"),  # a trailing slash on a real endpoint
        ("post", "/api/me/"),
        ("post", "/api/auth/wechat/login/"),
        ("get", "/api/challenges/abc"),  # a non-numeric id
        ("post", "/api/challenges/abc/join"),
        ("get", "/api/nonsense/path"),
        ("delete", "/api/nonsense"),
        ("post", "/api/schema"),  # APPEND_SLASH's RuntimeError (a 500) when debugging
        ("post", "/api"),
        ("get", "/api/%0A"),
    ],
)
def test_an_unknown_path_under_api_is_a_json_404(settings, debug, method, path):
    settings.DEBUG = debug
    client = Client(enforce_csrf_checks=True)  # as a browser would be: no CSRF page either

    response = getattr(client, method)(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404, response.content[:200]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["detail"].startswith("Not found.")


def test_a_trailing_slash_on_a_real_endpoint_says_what_to_send(client):
    response = client.get("/api/challenges/1/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "detail": "Not found. API paths end without a slash: try /api/challenges/1.",
    }


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(("path", "target"), [("/api", "/api/"), ("/api/docs", "/api/docs/")])
def test_a_read_of_the_index_or_docs_without_their_slash_is_redirected(client, settings, debug, path, target):
    settings.DEBUG = debug

    response = client.get(path)

    assert response.status_code == 301
    assert response["Location"] == target


def test_a_404_outside_the_api_is_unchanged(client):
    response = client.get("/apix")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
