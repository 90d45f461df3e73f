"""The error codes of the group-buy endpoints, for the schema (core.api.schema.ErrorCode). A join
is a mall order too, so the endpoints answer the product's codes (mall.api.errors) as well."""

from core.api.schema import ErrorCode

OFFER_CLOSED = ErrorCode(
    "offer_closed",
    409,
    "The offer is outside its active window, or its product is not on sale.",
    "This group-buy is not open now.",
)
OFFER_SOLD_OUT = ErrorCode(
    "offer_sold_out",
    409,
    "The offer's total number of groups is reached.",
    "No more groups can be opened for this offer.",
)
GROUPS_LIMIT_REACHED = ErrorCode(
    "limit_reached",
    409,
    "The user has opened as many groups of this offer as it allows.",
    "You have opened as many groups as this offer allows.",
)
GROUP_FULL = ErrorCode("group_full", 409, "The group has all its members (or succeeded).", "This group is full.")
GROUP_CLOSED = ErrorCode(
    "group_closed", 409, "The group failed, or its deadline has passed.", "This group-buy has closed."
)
ALREADY_MEMBER = ErrorCode(
    "already_member", 409, "The user is already in this group.", "You are already in this group."
)
NEW_USERS_ONLY = ErrorCode(
    "new_users_only",
    403,
    "The offer is for new users only, and the user has ordered before.",
    "Only new users may join this group-buy.",
)
