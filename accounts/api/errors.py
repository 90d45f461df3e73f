"""The error codes of the login and `me` endpoints, for the schema (core.api.schema.ErrorCode)."""

from core.api.schema import ErrorCode

INVALID_WECHAT_CODE = ErrorCode(
    "invalid_wechat_code",
    400,
    "WeChat says the code is wrong, already used or expired: get a new one (`wx.login`, `getPhoneNumber`).",
    "The WeChat code is invalid or has expired.",
)
WECHAT_UNAVAILABLE = ErrorCode(
    "wechat_unavailable",
    502,
    "WeChat timed out or answered an error; nothing was created. Retry with a new code.",
    "WeChat is not answering; please try again.",
)
INVALID_CREDENTIALS = ErrorCode(
    "invalid_credentials",
    401,
    "Wrong username or password, or the account is not staff.",
    "Wrong username or password.",
)
PHONE_IN_USE = ErrorCode(
    "phone_in_use",
    409,
    "Another account holds this number, or it already counted for another account's referral.",
    "This phone number is already used by another account.",
)
INVALID_IMAGE = ErrorCode(
    "invalid_image",
    400,
    "The file is not a JPEG, PNG, WebP or GIF image, or is too large or has too many pixels "
    "(`fields.file` says which).",
    "The file is not a readable image.",
)
STAFF_ACCOUNT = ErrorCode(
    "staff_account",
    403,
    "A staff login asked to delete its account: staff accounts are closed by an administrator in admin.",
    "A staff account cannot be deleted here; ask an administrator to close it.",
)
