"""The error codes of the assist and bargain endpoints, for the schema (core.api.schema.ErrorCode).
A reward or a bargain is a mall order too, so the endpoints answer the product's codes
(mall.api.errors) as well."""

from core.api.schema import ErrorCode

CAMPAIGN_CLOSED = ErrorCode(
    "campaign_closed", 409, "The campaign is outside its active window.", "This campaign is not open now."
)
TASKS_LIMIT_REACHED = ErrorCode(
    "limit_reached",
    409,
    "The user has started as many tasks of this campaign as it allows.",
    "You have started as many tasks as this campaign allows.",
)
TASK_CLOSED = ErrorCode(
    "task_closed",
    409,
    "The task has finished, expired (even if the expiry job has not run yet) or was bought.",
    "This task has finished or expired.",
)
CANNOT_HELP_SELF = ErrorCode("cannot_help_self", 409, "The task is the caller's own.", "You cannot help your own task.")
ALREADY_HELPED = ErrorCode(
    "already_helped", 409, "The caller already helped this task.", "You have already helped this task."
)
HELP_LIMIT_REACHED = ErrorCode(
    "help_limit_reached",
    409,
    "The caller helped as many tasks of this campaign today as it allows.",
    "You have helped as many times today as this campaign allows.",
)
