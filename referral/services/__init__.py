"""Every write of the referral app. Other apps call `referral_trigger` (or first
`referral_rewards_pending`, to skip a transaction), `referral_reward_clawback`, and the mall
`commission_settle` and `commission_void`.

- attribution: referral profiles and codes, landing-page scans, binding a new user at login
- rewards: reward rules applied on triggers, caps, milestones, holds, and paying them
- review: operators approving or rejecting held rewards, flagged inviters
- clawback: taking a reward back when what earned it is refunded
- commissions: distribution commission (分销) on friends' redemptions, held, paid, void
- posters: composing and caching a user's poster
"""

from referral.services.attribution import referral_bind_new_user, referral_scan_record, referral_sharer_seen
from referral.services.clawback import referral_reward_clawback
from referral.services.commissions import commission_settle, commission_void
from referral.services.posters import referral_poster
from referral.services.profiles import referral_profile_ensure
from referral.services.review import (
    referral_flag_inactive_inviters,
    referral_profile_flag_set,
    referral_reward_approve,
    referral_reward_reject,
)
from referral.services.rewards import referral_rewards_pending, referral_trigger

__all__ = [
    "commission_settle",
    "commission_void",
    "referral_bind_new_user",
    "referral_flag_inactive_inviters",
    "referral_poster",
    "referral_profile_ensure",
    "referral_profile_flag_set",
    "referral_reward_approve",
    "referral_reward_clawback",
    "referral_reward_reject",
    "referral_rewards_pending",
    "referral_scan_record",
    "referral_sharer_seen",
    "referral_trigger",
]
