"""Every write of the mall, one module per subject:

- products: what may be sold (on sale, limits, level, stock edits) and the refusals
- orders: what redemptions and vouchers share about an order
- redemptions: ordering with points, cancelling with a refund, fulfilling
- commissions: telling referral where an order stands, for the inviter's commission (分销)
- vouchers: codes, issuing, verification at the front desk (核销), expiry
- roles: the operator and store-staff groups
"""

from mall.services.commissions import order_commission_apply, order_commission_queue, order_commission_void
from mall.services.orders import order_is_first_redemption, order_lock, order_source, order_stands
from mall.services.products import (
    not_on_sale,
    out_of_stock,
    product_level_check,
    product_limit_check,
    product_on_sale,
    product_redeemed_quantity,
    product_stock_adjust,
    product_stock_set,
    product_tag_check,
)
from mall.services.redemptions import (
    MAX_QUANTITY,
    order_place,
    redemption_cancel,
    redemption_complete,
    redemption_create,
    redemption_fulfil,
    redemption_referral_clawback,
    redemption_referral_reward,
    redemption_referral_reward_apply,
)
from mall.services.roles import (
    OPERATOR_GROUP,
    STORE_STAFF_GROUP,
    VERIFY_PERMISSION,
    roles_seed,
    staff_may_log_in,
    staff_store,
    store_staff_add,
)
from mall.services.vouchers import (
    CODE_ALPHABET,
    CODE_LENGTH,
    coupon_code_generate,
    coupon_code_normalise,
    coupon_qr_data_url,
    coupon_verify,
    coupons_expire,
    coupons_issue,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "MAX_QUANTITY",
    "OPERATOR_GROUP",
    "STORE_STAFF_GROUP",
    "VERIFY_PERMISSION",
    "coupon_code_generate",
    "coupon_code_normalise",
    "coupon_qr_data_url",
    "coupon_verify",
    "coupons_expire",
    "coupons_issue",
    "not_on_sale",
    "order_commission_apply",
    "order_commission_queue",
    "order_commission_void",
    "order_is_first_redemption",
    "order_lock",
    "order_place",
    "order_source",
    "order_stands",
    "out_of_stock",
    "product_level_check",
    "product_limit_check",
    "product_on_sale",
    "product_redeemed_quantity",
    "product_stock_adjust",
    "product_stock_set",
    "product_tag_check",
    "redemption_cancel",
    "redemption_complete",
    "redemption_create",
    "redemption_fulfil",
    "redemption_referral_clawback",
    "redemption_referral_reward",
    "redemption_referral_reward_apply",
    "roles_seed",
    "staff_may_log_in",
    "staff_store",
    "store_staff_add",
]
