"""The error codes of the mall endpoints, for the schema (core.api.schema.ErrorCode). The plays
that sell through the mall (group-buy, assist) answer the product's codes too."""

from core.api.schema import ErrorCode

NOT_ON_SALE = ErrorCode(
    "not_on_sale",
    409,
    "No such product, or it is switched off or outside its sale window.",
    "This product is not on sale.",
)
OUT_OF_STOCK = ErrorCode(
    "out_of_stock", 409, "Fewer units of the product are left than asked for.", "This product is out of stock."
)
LIMIT_REACHED = ErrorCode(
    "limit_reached",
    409,
    "The order would take the user past the product's per-user limit (orders not cancelled count, "
    "from the mall, group-buys and assists alike).",
    "You have reached the limit for this product.",
)
LEVEL_TOO_LOW = ErrorCode(
    "level_too_low",
    403,
    "The product needs a membership level the user has not reached.",
    "This product needs the level Silver.",
)
TAG_REQUIRED = ErrorCode(
    "tag_required",
    403,
    "The product is kept for members carrying one of its tags (docs/tags.md), and the user carries none. "
    "The mall's list does not offer such a product to them.",
    "This product is for selected members only.",
)
INVALID_STATE = ErrorCode(
    "invalid_state",
    409,
    "The order cannot be cancelled in its state: completed, already sent (ask the store), or "
    "waiting for its group-buy or assist task to finish.",
    "A completed order cannot be cancelled.",
)
ORDER_VOUCHER_USED = ErrorCode(
    "already_used", 409, "A voucher of the order was used: it is never refunded.", "A used voucher cannot be cancelled."
)
ORDER_VOUCHER_EXPIRED = ErrorCode(
    "coupon_expired", 409, "A voucher of the order has expired: it is not refunded.", "This voucher has expired."
)
VERIFY_PERMISSION_DENIED = ErrorCode(
    "permission_denied",
    403,
    "The caller is not store staff (nor a superuser).",
    "Only store staff may verify vouchers.",
)
NO_STORE = ErrorCode(
    "no_store", 403, "The staff member is on no store's staff.", "You are not on the staff of any store."
)
NOT_YOUR_STORE = ErrorCode(
    "not_your_store", 403, "`store` is a store the staff member is not on.", "You are not on the staff of this store."
)
STORE_REQUIRED = ErrorCode(
    "store_required",
    400,
    "A superuser on no store's staff must name the `store`.",
    "Name the store you are at.",
)
VOUCHER_NOT_FOUND = ErrorCode("not_found", 404, "No voucher has this code.", "No voucher has this code.")
VOUCHER_USED = ErrorCode("already_used", 409, "The voucher was already used.", "This voucher was already used.")
VOUCHER_EXPIRED = ErrorCode("coupon_expired", 409, "The voucher has expired.", "This voucher has expired.")
VOUCHER_CANCELLED = ErrorCode(
    "coupon_cancelled", 409, "The voucher's order was cancelled.", "This voucher was cancelled."
)
