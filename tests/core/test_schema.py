import pytest
from django.core.management import call_command
from django.urls import path as route
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from core.api.schema import ErrorCode, ErrorSerializer


def test_schema_generates_without_warnings_or_errors(tmp_path, capsys):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning into a failure.
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")

    text = out.read_text()
    assert "/api/auth/wechat/login" in text
    assert "/api/me" in text


@pytest.mark.django_db
def test_docs_page_loads_no_internet_assets(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # Every script and stylesheet comes from our own static files (the sidecar), none from a CDN.
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_schema_endpoint_is_public(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200


# -- what the front end reads: summaries, descriptions and each operation's own error codes --------


@pytest.fixture(scope="module")
def schema() -> dict:
    with translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_every_operation_has_a_summary_and_a_description(schema):
    missing = [
        (method, path)
        for method, path, operation in _operations(schema)
        if not operation.get("summary") or not operation.get("description")
    ]

    assert not missing, f"give these a summary and a description in @extend_schema: {missing}"


def test_every_error_answer_lists_its_codes_each_with_an_example_body(schema):
    for method, path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            examples = response["content"]["application/json"]["examples"]
            assert examples, (method, path, status)
            for code, example in examples.items():
                assert example["value"]["code"] == code and example["value"]["detail"], (method, path, code)
                assert f"- `{code}`: " in response["description"], (method, path, code)


def _codes(schema, method: str, path: str) -> dict[int, set[str]]:
    codes = {}
    for status, response in schema["paths"][path][method.lower()]["responses"].items():
        if status.startswith(("4", "5")):
            codes[int(status)] = set(response["content"]["application/json"]["examples"])
    return codes


@pytest.mark.parametrize(
    ("method", "path", "status", "expected"),
    [
        ("POST", "/api/challenges/{challenge_id}/join", 400, {"invalid", "invalid_stake", "insufficient_points"}),
        ("POST", "/api/challenges/{challenge_id}/join", 409, {"already_joined", "round_full", "enrollment_closed"}),
        ("POST", "/api/challenges/{challenge_id}/checkin", 409, {"checkin_window_closed"}),
        ("POST", "/api/challenges/{challenge_id}/checkin", 404, {"not_found", "not_enrolled"}),
        ("POST", "/api/points/signin", 409, {"already_signed_in"}),
        ("POST", "/api/mall/redemptions", 409, {"out_of_stock", "limit_reached", "not_on_sale"}),
        ("POST", "/api/staff/coupons/verify", 409, {"already_used", "coupon_expired", "coupon_cancelled"}),
        ("POST", "/api/groupbuys/groups/{group_id}/join", 409, {"group_full", "group_closed", "already_member"}),
        ("POST", "/api/auth/wechat/login", 502, {"wechat_unavailable"}),
        ("GET", "/api/points/history", 400, {"invalid_page"}),
    ],
)
def test_an_operation_documents_its_own_codes(schema, method, path, status, expected):
    assert expected <= _codes(schema, method, path)[status]


def test_an_operation_documents_no_code_it_cannot_answer(schema):
    signin = _codes(schema, "POST", "/api/points/signin")
    me = _codes(schema, "GET", "/api/me")
    slot = _codes(schema, "GET", "/api/slots/{key}")

    assert "out_of_stock" not in signin.get(409, set())
    assert set(me) == {401, 429}  # no body, no parameter, no write: a token refused or too many calls
    assert set(slot) == {404, 429}  # public: no 401
    assert 400 not in signin and 415 not in signin  # it reads no body


def test_throttled_and_busy_answers_document_retry_after(schema):
    join = schema["paths"]["/api/challenges/{challenge_id}/join"]["post"]["responses"]

    assert "Retry-After" in join["429"]["headers"] and "Retry-After" in join["503"]["headers"]


# -- the mechanism, on views of its own ------------------------------------------------------------

SOLD_OUT = ErrorCode("out_of_stock", 409, "Nothing left.", "This product is out of stock.")
OWN_LIMIT = ErrorCode("limit_reached", 409, "The play's own limit.", "Limit.")
PRODUCT_LIMIT = ErrorCode("limit_reached", 409, "The product's limit.", "Limit.")


class _Body(serializers.Serializer):
    n = serializers.IntegerField()


class _OneMethod(APIView):
    error_codes = [SOLD_OUT, OWN_LIMIT, PRODUCT_LIMIT]

    @extend_schema(request=_Body, responses={201: _Body})
    def post(self, request):
        raise AssertionError("never called")


class _TwoMethods(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    error_codes = {"post": [SOLD_OUT]}

    @extend_schema(responses={200: None})
    def get(self, request):
        raise AssertionError("never called")

    @extend_schema(request=None, responses={200: None})
    def post(self, request):
        raise AssertionError("never called")


class _OldStyle(APIView):
    extra_error_statuses = (502,)

    @extend_schema(responses={200: None, 409: ErrorSerializer})
    def get(self, request):
        raise AssertionError("never called")


def _schema_of(*patterns) -> dict:
    return SchemaGenerator(patterns=list(patterns)).get_schema(request=None, public=True)


def test_declared_codes_become_responses_with_examples_merged_by_code():
    schema = _schema_of(route("things/<int:thing_id>", _OneMethod.as_view()))

    responses = schema["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert set(responses["409"]["content"]["application/json"]["examples"]) == {"out_of_stock", "limit_reached"}
    assert "- `limit_reached`: The play's own limit. Or: The product's limit." in responses["409"]["description"]
    # and what follows from the shape: a body, a path parameter, a token, a write
    errors = {status for status in responses if status.startswith(("4", "5"))}
    assert errors == {"400", "401", "404", "409", "413", "415", "429", "503"}
    assert responses["201"]["description"] == "Created"


def test_a_view_with_several_methods_declares_codes_by_method():
    schema = _schema_of(route("things", _TwoMethods.as_view()))

    get, post = schema["paths"]["/things"]["get"]["responses"], schema["paths"]["/things"]["post"]["responses"]
    assert "409" not in get and "401" not in get  # public, and the codes are the POST's
    assert set(post["409"]["content"]["application/json"]["examples"]) == {"out_of_stock"}


def test_the_old_ways_of_declaring_errors_warn(capsys):
    _schema_of(route("old", _OldStyle.as_view()))

    err = capsys.readouterr().err
    assert "list its codes in `error_codes`, not `extra_error_statuses`" in err
    assert "declare error 409 through `error_codes`, not `responses`" in err
