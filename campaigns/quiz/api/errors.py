"""The error codes of the quiz endpoints, for the schema (core.api.schema.ErrorCode)."""

from core.api.schema import ErrorCode

ALREADY_ANSWERED = ErrorCode(
    "already_answered",
    409,
    "The caller already answered today's quiz (local day).",
    "You have already answered today's quiz.",
)
QUIZ_CLOSED = ErrorCode(
    "quiz_closed",
    409,
    "The operator switched the quiz off, or the question bank has no active question.",
    "There is no quiz today.",
)
