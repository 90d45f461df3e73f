"""The error codes of the lottery endpoints, for the schema (core.api.schema.ErrorCode)."""

from core.api.schema import ErrorCode

LOTTERY_CLOSED = ErrorCode(
    "lottery_closed", 409, "The lottery is outside its active window.", "This lottery is not open now."
)
NO_DRAWS_LEFT = ErrorCode(
    "no_draws_left",
    409,
    "The caller has used every draw of the day: the daily limit, or every free draw of a free lottery.",
    "You have no draws left today.",
)
LOTTERY_TAG_REQUIRED = ErrorCode(
    "tag_required",
    403,
    "The lottery is kept for members carrying one of its tags (docs/tags.md), and the caller carries none. "
    "The list does not offer such a lottery to them.",
    "This lottery is for selected members only.",
)
