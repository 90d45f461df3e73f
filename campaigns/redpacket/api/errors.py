"""The error codes of the red packet endpoints, for the schema (core.api.schema.ErrorCode)."""

from core.api.schema import ErrorCode

CAMPAIGN_CLOSED = ErrorCode(
    "campaign_closed", 409, "The campaign is outside its active window.", "This campaign is not open now."
)
PACKETS_LIMIT_REACHED = ErrorCode(
    "limit_reached",
    409,
    "The user has started as many packets of this campaign as it allows.",
    "You have started as many red packets as this campaign allows.",
)
PACKET_CLOSED = ErrorCode(
    "packet_closed",
    409,
    "The packet has been filled, expired (even if the expiry job has not run yet), or its starter left.",
    "This red packet has been filled or has expired.",
)
CANNOT_OPEN_OWN = ErrorCode(
    "cannot_open_own", 409, "The packet is the caller's own.", "You cannot open your own red packet."
)
ALREADY_OPENED = ErrorCode(
    "already_opened", 409, "The caller already opened this packet.", "You have already opened this red packet."
)
OPEN_LIMIT_REACHED = ErrorCode(
    "open_limit_reached",
    409,
    "The caller opened as many packets of this campaign today as it allows.",
    "You have opened as many red packets today as this campaign allows.",
)
