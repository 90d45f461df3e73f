"""The OpenAPI schema documents every operation's error answers: each status with the codes that
operation can answer, and an example body for each.

Every error is `{"code", "detail"}` (+ `"fields"`), rendered by one exception handler. Some codes
follow from an operation's shape and are added here (`generic_error_codes`): any operation may be
throttled; one with a body or query parameters may refuse them as `invalid`; one that needs a
token may answer 401; one with a path parameter or a page number 404; one that writes may lose a
lock race that its retries did not win (503 `busy`). The rest are the operation's own: its view
lists them once, as `ErrorCode`s, in `error_codes` (a list, or a dict by method name for a view
with several methods); the status comes with the code, so it cannot be mistyped.

The codes a view lists are facts about its services, which the schema cannot see: the test
session records every error answered through the API and fails on a code that the operation's
schema does not declare (tests/error_codes.py).
"""

from collections import defaultdict
from dataclasses import dataclass
from http import HTTPStatus

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


@dataclass(frozen=True)
class ErrorCode:
    """An answer a client can branch on: `code` and its HTTP `status`; `when` the API answers it
    (developer documentation, English); `detail`, an example of the human text (English here; the
    API answers in the request's language)."""

    code: str
    status: int
    when: str
    detail: str


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A machine code, a snake_case fact such as `out_of_stock`.")
    detail = serializers.CharField(help_text="A human explanation, in the request's language.")
    fields = serializers.DictField(required=False, help_text="Per-field messages of a validation error (`invalid`).")

    class Meta:
        ref_name = "Error"


# Codes of the framework and the plumbing, which operations answer by their shape.
INVALID = ErrorCode(
    "invalid",
    400,
    "A field or parameter is missing, of the wrong type or out of range; `fields` maps each one "
    "(or `non_field_errors`) to its messages.",
    "The request has invalid fields.",
)
MALFORMED_REQUEST = ErrorCode(
    "malformed_request", 400, "The body is not parseable JSON (or multipart form data).", "JSON parse error."
)
INVALID_PAGE = ErrorCode(
    "invalid_page",
    400,
    "`page` or `page_size` is not a positive whole number.",
    "page and page_size must be positive whole numbers.",
)
NOT_AUTHENTICATED = ErrorCode(
    "not_authenticated",
    401,
    "No `Authorization: Bearer <access token>` header.",
    "Authentication credentials were not provided.",
)
TOKEN_NOT_VALID = ErrorCode(
    "token_not_valid",
    401,
    "The token is malformed, expired or used up: refresh it once (`POST /api/auth/refresh`), else log in again.",
    "Given token not valid for any token type",
)
BAD_AUTHORIZATION_HEADER = ErrorCode(
    "bad_authorization_header",
    401,
    "The `Authorization` header is not `Bearer <token>`.",
    "Authorization header must contain two space-delimited values",
)
USER_NOT_FOUND = ErrorCode("user_not_found", 401, "The token's user no longer exists: log in again.", "User not found")
USER_INACTIVE = ErrorCode(
    "user_inactive", 401, "The token's user is switched off (or deleted their account).", "User is inactive"
)
NOT_FOUND = ErrorCode("not_found", 404, "No such object, or not yours; or a page past the end of a list.", "Not found.")
PAYLOAD_TOO_LARGE = ErrorCode(
    "payload_too_large",
    413,
    "The body is over the limit (1 MB of JSON, 8 MB of multipart).",
    "The request body is too large.",
)
UNSUPPORTED_MEDIA_TYPE = ErrorCode(
    "unsupported_media_type",
    415,
    "The body's `Content-Type` is not one the operation reads (JSON, or multipart for uploads).",
    'Unsupported media type "text/plain" in request.',
)
THROTTLED = ErrorCode(
    "throttled",
    429,
    "Too many requests; `Retry-After` says how many seconds to wait.",
    "Request was throttled. Expected available in 30 seconds.",
)
BUSY = ErrorCode(
    "busy",
    503,
    "The request lost a race for a lock and changed nothing; retry after `Retry-After` seconds.",
    "The service is busy; please try again in a moment.",
)
# simplejwt's own codes: a refused token is mostly `token_not_valid`; the others name the header
# or the user. A client treats every 401 the same: refresh once, else log in again.
UNAUTHENTICATED = (NOT_AUTHENTICATED, TOKEN_NOT_VALID, BAD_AUTHORIZATION_HEADER, USER_NOT_FOUND, USER_INACTIVE)
NO_ACTIVE_ACCOUNT = ErrorCode(
    "no_active_account",
    401,
    "The refresh token's user no longer exists or is switched off: log in again.",
    "No active account found for the given token.",
)

STATUS_TITLES = {
    400: "Bad input; nothing changed.",
    401: "Not authenticated.",
    403: "Not allowed; nothing changed.",
    404: "Not found.",
    409: "The state of things refuses the request; nothing changed.",
    413: "The body is too large.",
    415: "The body's content type is not accepted.",
    429: "Too many requests.",
    502: "An outside service (WeChat) is not answering; nothing changed, safe to retry.",
    503: "Busy; nothing changed, safe to retry.",
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}}
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_PAGE_PARAMETERS = {"page", "page_size"}


def example_body(error: ErrorCode) -> dict:
    body = {"code": error.code, "detail": error.detail}
    if error.code == INVALID.code:
        body["fields"] = {"<field>": ["This field is required."]}
    return body


class ErrorDocumentingAutoSchema(AutoSchema):
    def generic_error_codes(self, operation: dict) -> list[ErrorCode]:
        """The codes this operation answers by its shape."""
        codes = [THROTTLED]
        parameters = {(p.get("in"), p.get("name")) for p in operation.get("parameters", [])}
        if "requestBody" in operation:
            codes += [INVALID, MALFORMED_REQUEST, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE]
        elif any(where in ("query", "header") and name not in _PAGE_PARAMETERS for where, name in parameters):
            codes.append(INVALID)
        if ("query", "page") in parameters:
            codes += [INVALID_PAGE, NOT_FOUND]
        if any(where == "path" for where, _name in parameters):
            codes.append(NOT_FOUND)
        auth = self.get_auth()
        if any(auth):  # a token sent is checked even where none is needed ({} among the schemes)
            codes += [code for code in UNAUTHENTICATED if code is not NOT_AUTHENTICATED or {} not in auth]
        if self.method in _WRITE_METHODS:
            codes.append(BUSY)
        return codes

    def declared_error_codes(self) -> list[ErrorCode]:
        declared = getattr(self.view, "error_codes", ())
        if isinstance(declared, dict):
            declared = declared.get(self.method.lower(), ())
        return list(declared)

    def error_responses(self, operation: dict) -> dict[str, dict]:
        by_status: dict[int, dict[str, list[ErrorCode]]] = defaultdict(lambda: defaultdict(list))
        # The operation's own codes first: they are what its page is read for.
        for error in [*self.declared_error_codes(), *self.generic_error_codes(operation)]:
            by_status[error.status][error.code].append(error)
        statuses = defaultdict(set)
        for status, codes in by_status.items():
            for code in codes:
                statuses[code].add(status)
        for code, found in statuses.items():
            if len(found) > 1:
                warn(f"error code {code!r} is declared with several statuses {sorted(found)}: a code has one status")

        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = {}
        for status in sorted(by_status):
            lines, examples = [STATUS_TITLES.get(status, "Error."), ""], {}
            for code, errors in by_status[status].items():
                # The same code may come from two rules (a group-buy's own limit and the product's).
                when = " Or: ".join(dict.fromkeys(e.when for e in errors))
                lines.append(f"- `{code}`: {when}")
                examples[code] = {"summary": code, "description": when, "value": example_body(errors[0])}
            response = {
                "description": "\n".join(lines),
                "content": {"application/json": {"schema": error, "examples": examples}},
            }
            if status in (429, 503):
                response["headers"] = _RETRY_AFTER
            responses[str(status)] = response
        return responses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        if hasattr(self.view, "extra_error_statuses"):
            warn(f"{self.view.__class__.__name__}: list its codes in `error_codes`, not `extra_error_statuses`")
        responses = operation.setdefault("responses", {})
        for status, response in responses.items():
            if str(status).startswith(("4", "5")):
                warn(f"{self.method} {self.path}: declare error {status} through `error_codes`, not `responses`")
            elif not response.get("description") and str(status).isdigit():
                response["description"] = HTTPStatus(int(status)).phrase
        responses.update(self.error_responses(operation))
        return operation
