"""A pytest plugin: every error code the API answers during the run must be in its operation's schema.

The front end learns an endpoint's codes from the schema (each error status lists its codes as
examples, core/api/schema.py). A service that starts raising a new code, or an old code through a
new endpoint, would leave the documentation wrong without anyone noticing; so for the whole test
session every JSON error answer given through Django's request handler (the test client and the
fuzz's WSGI application alike) is recorded as (method, path template, status, code), and at the
end each one must be declared by that operation in the schema. One that is not fails the run,
naming the code, the operation and the first test that produced it.

Answers to requests that match no operation of the schema (unknown paths, the admin, a method
the path does not have) are not the schema's business and are not recorded.
"""

import json
import re
from collections.abc import Iterable

import pytest

_ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")

# (method, path template, status, code) -> the first test that produced it
_recorded: dict[tuple[str, str, int, str], str] = {}
_current_test = ""
_undeclared: list[tuple[tuple[str, str, int, str], str]] = []


def path_template(route: str) -> str:
    """Django's route (`api/challenges/<int:challenge_id>/join`) as the schema names it
    (`/api/challenges/{challenge_id}/join`)."""
    return "/" + _ROUTE_PARAMETER.sub(r"{\1}", route)


def declared_codes(schema: dict) -> dict[tuple[str, str], set[tuple[int, str]]]:
    """(method, path) -> the (status, code) pairs the schema declares: the examples of its error answers."""
    declared = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            pairs = set()
            for status, response in operation.get("responses", {}).items():
                if not str(status).startswith(("4", "5")):
                    continue
                for media in response.get("content", {}).values():
                    for example in media.get("examples", {}).values():
                        code = example.get("value", {}).get("code")
                        if code:
                            pairs.add((int(status), code))
            declared[(method.upper(), path)] = pairs
    return declared


def undeclared(
    recorded: Iterable[tuple[str, str, int, str]], declared: dict[tuple[str, str], set[tuple[int, str]]]
) -> list[tuple[str, str, int, str]]:
    """The recorded answers whose operation is in the schema but does not declare that status and code."""
    return sorted(
        (method, path, status, code)
        for method, path, status, code in recorded
        if (method, path) in declared and (status, code) not in declared[(method, path)]
    )


def _error_code(response) -> str | None:
    data = getattr(response, "data", None)  # a DRF Response, before rendering
    if isinstance(data, dict):
        code = data.get("code")
        return code if isinstance(code, str) else None
    if not response.get("Content-Type", "").startswith("application/json") or getattr(response, "streaming", False):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _record(request, response) -> None:
    if response.status_code < 400 or response.status_code == 500:
        return  # a 500 is a bug, never documented: the test that caused it fails on its own
    code = _error_code(response)
    if code is None:
        return
    match = getattr(request, "resolver_match", None)
    if match is None:  # answered before the URL was resolved (a middleware's 413)
        from django.urls import Resolver404, resolve

        try:
            match = resolve(request.path_info)
        except Resolver404:
            return
    key = (request.method, path_template(match.route), response.status_code, code)
    _recorded.setdefault(key, _current_test)


def _install() -> None:
    from django.core.handlers.base import BaseHandler

    if getattr(BaseHandler.get_response, "_records_error_codes", False):
        return
    original = BaseHandler.get_response

    def get_response(self, request):
        response = original(self, request)
        _record(request, response)
        return response

    get_response._records_error_codes = True
    BaseHandler.get_response = get_response


def pytest_configure(config):
    _install()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    global _current_test
    _current_test = item.nodeid


def pytest_sessionfinish(session, exitstatus):
    if not _recorded:
        return
    from django.utils import translation
    from drf_spectacular.generators import SchemaGenerator

    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = undeclared(_recorded, declared_codes(schema))
    _undeclared[:] = [(key, _recorded[key]) for key in missing]
    if _undeclared and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if not _undeclared:
        return
    terminalreporter.write_sep("=", "ERROR CODES ANSWERED BUT NOT IN THE SCHEMA", red=True)
    for (method, path, status, code), test in _undeclared:
        terminalreporter.write_line(f"{method} {path}: {status} `{code}` (first by {test})", red=True)
    terminalreporter.write_line(
        "Declare each in the view's `error_codes` (core/api/schema.py), then `make types`.", red=True
    )
