"""Every write of the member's journey, one module per subject:

- members: WeChat login and registration, phone verification, profile and avatar
- birthdays: the nightly birthday gift (the members whose birthday is today)
- deletion: a member deleting their account (anonymised, settled, tokens revoked), and the
  nightly sweep of points that reach a deleted account afterwards
"""

from accounts.services.birthdays import birthday_gifts_run, birthday_members
from accounts.services.deletion import accounts_deleted_sweep, phone_digest, user_delete
from accounts.services.members import (
    AVATAR_FORMATS,
    AVATAR_STORED_SIZE,
    user_login_wechat,
    user_phone_set,
    user_phone_verified,
    user_registered,
    user_set_avatar,
    user_update_profile,
    user_verify_phone,
    wechat_error_to_application_error,
)

__all__ = [
    "AVATAR_FORMATS",
    "AVATAR_STORED_SIZE",
    "accounts_deleted_sweep",
    "birthday_gifts_run",
    "birthday_members",
    "phone_digest",
    "user_delete",
    "user_login_wechat",
    "user_phone_set",
    "user_phone_verified",
    "user_registered",
    "user_set_avatar",
    "user_update_profile",
    "user_verify_phone",
    "wechat_error_to_application_error",
]
