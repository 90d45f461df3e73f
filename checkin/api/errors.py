"""The error codes of the check-in challenge endpoints, for the schema (core.api.schema.ErrorCode)."""

from core.api.schema import ErrorCode

INVALID_STAKE = ErrorCode(
    "invalid_stake",
    400,
    "The stake is outside the challenge's range (`stake_min` to `stake_max`).",
    "The stake must be between 10 and 100 points.",
)
ENROLLMENT_CLOSED = ErrorCode(
    "enrollment_closed",
    409,
    "No round takes enrolments now (enrolment closed, or the challenge is switched off).",
    "Enrolment for this challenge is closed.",
)
ALREADY_JOINED = ErrorCode(
    "already_joined", 409, "The user already has an entry in this round.", "You have already joined this round."
)
ROUND_FULL = ErrorCode("round_full", 409, "The round has its maximum of participants.", "This round is full.")
CHECKIN_WINDOW_CLOSED = ErrorCode(
    "checkin_window_closed",
    409,
    "Outside today's check-in window, or the round's settlement has begun.",
    "Check-in is open from 05:00 to 09:00.",
)
ROUND_CLOSED = ErrorCode(
    "checkin_window_closed",
    409,
    "The round's settlement has begun: it takes no more check-ins.",
    "This round is closed for check-ins.",
)
NOT_ENROLLED = ErrorCode(
    "not_enrolled",
    404,
    "The user has no entry in a round running on that day.",
    "You are not enrolled in today's round.",
)
MAKEUP_NOT_ALLOWED = ErrorCode(
    "makeup_not_allowed",
    409,
    "The challenge has no makeup check-ins, or the round has ended.",
    "This challenge has no makeup check-ins.",
)
INVALID_MAKEUP_DATE = ErrorCode(
    "invalid_makeup_date",
    400,
    "`date` is today or later, the round's last day, or before the user joined.",
    "Only a past day of the round after you joined, and not its last day, can be made up.",
)
ALREADY_CHECKED_IN = ErrorCode(
    "already_checked_in", 409, "That day already has a check-in.", "That day already has a check-in."
)
NO_MAKEUP_LEFT = ErrorCode(
    "no_makeup_left", 409, "The entry's makeup check-ins are used up.", "You have no makeup check-ins left."
)
UNKNOWN_TEMPLATE = ErrorCode(
    "unknown_template",
    400,
    "No active challenge, nor one with a round still open, sends this template.",
    "No challenge sends this template.",
)
VISIT_REQUIRED = ErrorCode(
    "visit_required",
    409,
    "The challenge is checked in by visits: staff scan the member code at the store (`POST staff/visits`).",
    "This challenge is checked in at the store: show your member code at the desk.",
)
VISIT_PERMISSION_DENIED = ErrorCode(
    "permission_denied", 403, "The caller is not store staff (nor a superuser).", "Only store staff may record visits."
)
MEMBER_CODE_INVALID = ErrorCode(
    "member_code_invalid",
    404,
    "The code is malformed, made up, expired (older than two periods) or of a deactivated account.",
    "This member code is not valid or has expired: ask the member to refresh it.",
)
