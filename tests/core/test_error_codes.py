"""The check that every error code the API answers is declared in its operation's schema
(tests/error_codes.py), and that every declared code is real."""

import re
from pathlib import Path

import pytest
import rest_framework_simplejwt
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from tests.error_codes import declared_codes, path_template, undeclared

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "events", "accounts", "points", "mall", "referral", "campaigns", "checkin", "analytics"]


@pytest.fixture(scope="module")
def schema() -> dict:
    with translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


def test_a_route_becomes_the_schema_path():
    assert path_template("api/challenges/<int:challenge_id>/join") == "/api/challenges/{challenge_id}/join"
    assert path_template("api/slots/<slug:key>") == "/api/slots/{key}"
    assert path_template("api/points/tasks/<code>/complete") == "/api/points/tasks/{code}/complete"
    assert path_template("api/me") == "/api/me"


def test_the_declared_codes_are_read_from_the_examples_of_each_error_answer(schema):
    declared = declared_codes(schema)

    join = declared[("POST", "/api/challenges/{challenge_id}/join")]
    assert {
        (400, "invalid_stake"),
        (400, "insufficient_points"),
        (409, "round_full"),
        (401, "not_authenticated"),
    } <= join
    assert not any(status < 400 for status, _code in join)


def test_an_answered_code_the_operation_does_not_declare_is_reported(schema):
    declared = declared_codes(schema)
    recorded = {
        ("POST", "/api/challenges/{challenge_id}/join", 409, "round_full"),  # declared
        ("POST", "/api/challenges/{challenge_id}/join", 409, "group_full"),  # another endpoint's code
        ("POST", "/api/challenges/{challenge_id}/join", 404, "round_full"),  # a declared code, wrong status
        ("GET", "/api/me", 401, "token_not_valid"),  # declared by the shape (needs a token)
        ("GET", "/api/not-an-operation", 404, "not_found"),  # no operation: not the schema's business
    }

    assert undeclared(recorded, declared) == [
        ("POST", "/api/challenges/{challenge_id}/join", 404, "round_full"),
        ("POST", "/api/challenges/{challenge_id}/join", 409, "group_full"),
    ]


_INNER_TEST = """
from rest_framework.test import APIClient

from core.api.slots import SlotDetailApi
from core.exceptions import ApplicationError


def test_the_slot_answers(monkeypatch):
    def get(self, request, key):
        raise ApplicationError("{code}", "Made up for the test.", {status})

    monkeypatch.setattr(SlotDetailApi, "get", get)
    assert APIClient().get("/api/slots/home_banner").status_code == {status}
"""


def _run_session(pytester, monkeypatch, *, code: str, status: int):
    """A pytest session with the plugin, whose one (passing) test makes the API answer `code`."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_inner=_INNER_TEST.replace("{code}", code).replace("{status}", str(status)))
    return pytester.runpytest_subprocess("-p", "tests.error_codes", "--ds", "core.settings", "-p", "no:cacheprovider")


def test_a_session_whose_api_answers_an_undeclared_code_fails(pytester, monkeypatch):
    result = _run_session(pytester, monkeypatch, code="made_up_code", status=409)

    result.assert_outcomes(passed=1)  # the test itself passed: the session fails at its end
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*ERROR CODES ANSWERED BUT NOT IN THE SCHEMA*",
            "GET /api/slots/{key}: 409 `made_up_code` (first by test_inner.py::test_the_slot_answers)",
        ]
    )


def test_a_session_whose_api_answers_only_declared_codes_passes(pytester, monkeypatch):
    result = _run_session(pytester, monkeypatch, code="not_found", status=404)

    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "NOT IN THE SCHEMA" not in result.stdout.str()


def _sources() -> str:
    """The code that can raise: the apps' modules (not the declarations, nor the tests) and the
    token library, whose refusals reach clients with its own codes."""
    files = [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name != "errors.py" and path != ROOT / "core/api/schema.py"
    ]
    files += Path(rest_framework_simplejwt.__file__).parent.rglob("*.py")
    return "\n".join(path.read_text() for path in files)


def test_every_declared_code_is_raised_somewhere(schema):
    source = _sources()
    codes = {code for pairs in declared_codes(schema).values() for _status, code in pairs}

    missing = sorted(code for code in codes if not re.search(rf"""["']{re.escape(code)}["']""", source))
    assert not missing, f"declared in the schema but raised nowhere: {missing}"


def test_every_declared_code_is_in_the_front_end_guide(schema):
    guide = (ROOT / "docs" / "frontend.md").read_text()
    codes = {code for pairs in declared_codes(schema).values() for _status, code in pairs}

    missing = sorted(code for code in codes if f"`{code}`" not in guide)
    assert not missing, f"add these to the table of docs/frontend.md: {missing}"
