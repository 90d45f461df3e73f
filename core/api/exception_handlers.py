"""Every API error, ours or DRF's, becomes {"code", "detail"} (+ "fields") with a 4xx status."""

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.exceptions import ApplicationError
from core.locks import RETRY_AFTER_SECONDS, busy, is_conflict

# DRF's default codes renamed where a client needs a fact, not a class name.
_CODE_FOR = {
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}

# simplejwt's Chinese catalog marks these fuzzy, so they would stay English: marked here so that
# makemessages keeps their msgstr in our django.po, which Django reads before any library's.
SIMPLEJWT_UNTRANSLATED = (gettext_noop("Token is invalid"), gettext_noop("Token is expired"))


def _flatten(detail) -> object:
    """ErrorDetail trees to plain strings, keeping the shape (dicts and lists)."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(value) for value in detail]
    return force_str(detail)


def error_body(code: str, detail, fields=None) -> dict:
    body = {"code": code, "detail": force_str(detail)}
    if fields is not None:
        body["fields"] = fields
    return body


def _parse_error_detail(exc: exceptions.ParseError):
    """DRF's parsers write "JSON parse error - <Python's words>" without gettext: English in every
    language. Say it in the request's language, from the parser's own error."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, json.JSONDecodeError):
        where = {"line": cause.lineno, "column": cause.colno}
        return _("JSON parse error at line %(line)d, column %(column)d.") % where
    if isinstance(cause, ValueError):  # not UTF-8, or NaN / Infinity (not JSON)
        return _("JSON parse error: the body is not valid JSON.")
    if isinstance(cause, MultiPartParserError):
        return _("Multipart form parse error: %(reason)s") % {"reason": cause}
    return exc.detail


def api_exception_handler(exc, context):
    headers = {}
    if is_conflict(exc):
        # A deadlock or serialization failure that no service boundary retried: still "try again".
        exc = busy()
    if isinstance(exc, ApplicationError):
        if exc.status == status.HTTP_503_SERVICE_UNAVAILABLE:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Response(error_body(exc.code, exc.detail, exc.fields), status=exc.status, headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", _("The request body is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, TooManyFieldsSent):
        return Response(error_body("malformed_request", _("Too many fields.")), status=400)

    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler answers, and the error is logged

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
        return Response(
            error_body("invalid", _("The request has invalid fields."), fields),
            status=exc.status_code,
            headers=headers,
        )

    code = next((c for cls, c in _CODE_FOR.items() if isinstance(exc, cls)), None)
    detail = _parse_error_detail(exc) if isinstance(exc, exceptions.ParseError) else exc.detail
    if isinstance(detail, dict):
        # simplejwt nests its message: {"detail": ..., "code": "token_not_valid", "messages": [...]}
        code = force_str(detail.get("code", code or exc.default_code))
        detail = detail.get("detail", exc.default_detail)
    if code is None:
        code = getattr(detail, "code", None) or exc.default_code
    return Response(error_body(code, detail), status=exc.status_code, headers=headers)


# Plain Django views (outside DRF) answer in the same format.


def json_bad_request(request, exception=None):
    return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)


def json_permission_denied(request, exception=None):
    return JsonResponse(error_body("permission_denied", _("Permission denied.")), status=403)


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_server_error(request):
    return JsonResponse(error_body("server_error", _("Server error. It has been logged.")), status=500)
