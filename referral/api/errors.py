"""The error codes of the referral endpoints, for the schema (core.api.schema.ErrorCode)."""

from core.api.schema import ErrorCode

POSTER_TEMPLATE_NOT_FOUND = ErrorCode(
    "poster_template_not_found",
    404,
    "No active poster template has the id in `template`.",
    "No such poster template.",
)
