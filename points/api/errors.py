"""The error codes of the points endpoints, for the schema (core.api.schema.ErrorCode)."""

from core.api.schema import ErrorCode

INSUFFICIENT_POINTS = ErrorCode(
    "insufficient_points", 400, "The wallet holds fewer points than this costs.", "Not enough points."
)
TASK_NOT_FOUND = ErrorCode(
    "task_not_found",
    404,
    "No task has this code, or it is switched off or outside its active period.",
    "No such task, or it is not active.",
)
TASK_SERVER_ONLY = ErrorCode(
    "task_server_only",
    403,
    "The server completes this task itself (welcome, phone verified, first check-in...), never the app.",
    "This task is completed automatically, not by the app.",
)
TASK_ALREADY_DONE = ErrorCode(
    "task_already_done",
    409,
    "Already completed in this period (once: ever; daily: today; weekly: this ISO week).",
    "You have already completed this task.",
)
TASK_DAILY_CAP_REACHED = ErrorCode(
    "task_daily_cap_reached",
    409,
    "An unlimited task reached its daily cap.",
    "You have reached today's limit for this task.",
)
ALREADY_SIGNED_IN = ErrorCode(
    "already_signed_in",
    409,
    "The day is already signed (today for a sign-in, `date` for a makeup).",
    "You have already signed in on this day.",
)
MAKEUP_DISABLED = ErrorCode(
    "makeup_disabled", 409, "The operator switched makeup sign-in off.", "Makeup sign-in is switched off."
)
SIGNIN_INVALID_MAKEUP_DATE = ErrorCode(
    "invalid_makeup_date",
    400,
    "`date` is today, in the future, in another month, or before the user joined.",
    "Only a missed day of this month, before today and since you joined, can be made up.",
)
SIGNIN_NO_MAKEUP_LEFT = ErrorCode(
    "no_makeup_left", 409, "This month's makeup sign-ins are used up.", "No makeup sign-ins left this month."
)
