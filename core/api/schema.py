"""The OpenAPI schema documents every operation's error answers, not only its success.

Every error is `{"code", "detail"}` (+ `"fields"`), rendered by one exception handler, so the
statuses an operation can answer follow from its shape: any operation may refuse bad input (400)
or be throttled (429); one that needs a token may answer 401 or 403; one with a path parameter, or
a paginated list, 404; one that writes may conflict with the state of the world (409), get a body
too large (413) or of a type it does not parse (415), or lose a lock race that its retries did not
win (503 `busy`, with `Retry-After`). A view lists any other status it answers in
`extra_error_statuses` (WeChat not answering is a 502; a refused password or refresh token on a
public operation a 401).
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A machine code, a snake_case fact such as `out_of_stock`.")
    detail = serializers.CharField(help_text="A human explanation, in the request's language.")
    fields = serializers.DictField(required=False, help_text="Per-field messages of a validation error (`invalid`).")

    class Meta:
        ref_name = "Error"


_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_DESCRIPTIONS = {
    "400": "Bad input: `invalid` (with `fields`), `malformed_request` or a business rule.",
    "401": "No valid access token: `not_authenticated`, `authentication_failed`, `token_not_valid`.",
    "403": "Not allowed: `permission_denied` or a business rule.",
    "404": "No such object, or not yours, or a page past the end: `not_found` or a business rule.",
    "409": "The state of the world refuses it (e.g. `already_joined`, `out_of_stock`).",
    "413": "`payload_too_large`.",
    "415": "`unsupported_media_type`.",
    "429": "`throttled`; `Retry-After` says when to try again.",
    "502": "An outside service (WeChat) is not answering: `wechat_unavailable`; safe to retry.",
    "503": "`busy`: the request lost a race for a lock and changed nothing; `Retry-After` says when to retry.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def error_statuses(self, operation: dict) -> list[str]:
        statuses = ["400", "429"]
        if self.get_auth():
            statuses += ["401", "403"]
        parameters = {(p.get("in"), p.get("name")) for p in operation.get("parameters", [])}
        if "{" in self.path or ("query", "page") in parameters:
            statuses.append("404")
        if self.method in _WRITE_METHODS:
            statuses += ["409", "413", "415", "503"]
        statuses += [str(code) for code in getattr(self.view, "extra_error_statuses", ())]
        return sorted(set(statuses))

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        for status in self.error_statuses(operation):
            if status not in responses:
                responses[status] = {
                    "content": {"application/json": {"schema": error}},
                    "description": _DESCRIPTIONS[status],
                }
        return operation
