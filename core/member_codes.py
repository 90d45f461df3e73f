"""Member codes (会员码): what a member shows at the front desk so staff can identify them.

A code is all digits, so staff can also type it: eight check digits, then the member's id. The
check digits are an HMAC (the project's SECRET_KEY) of the id and the current time period
(MEMBER_CODE_SECONDS), so a code needs no storage, cannot be made up from an id, and is accepted
only in its own period and the next: a screenshot forwarded to a friend stops working within two
periods. Within its life a code can be scanned again; what it is used for (one visit a day)
decides whether that counts twice.
"""

import datetime as dt
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac

from core.clock import now
from core.qr import qr_data_url

CHECK_DIGITS = 8
_MAX_LENGTH = CHECK_DIGITS + 19  # a bigint id has at most 19 digits


@dataclass(frozen=True)
class MemberCode:
    code: str
    expires_at: dt.datetime

    @property
    def qr(self) -> str:
        return qr_data_url(self.code)


def _period() -> int:
    return max(int(settings.MEMBER_CODE_SECONDS), 1)


def _check(user_id: int, step: int) -> str:
    digest = salted_hmac("core.member_codes", f"{user_id}:{step}", algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CHECK_DIGITS:0{CHECK_DIGITS}d}"


def member_code_issue(user, *, at: dt.datetime | None = None) -> MemberCode:
    """The member's code for now, and when it stops being accepted."""
    period = _period()
    step = int((at or now()).timestamp()) // period
    expires_at = dt.datetime.fromtimestamp((step + 2) * period, tz=dt.UTC)
    return MemberCode(code=f"{_check(user.pk, step)}{user.pk}", expires_at=expires_at)


def member_code_normalise(code: str) -> str:
    """What a person types or a scanner reads: spaces and dashes do not matter."""
    return "".join(str(code).split()).replace("-", "")


def member_code_resolve(code: str, *, at: dt.datetime | None = None):
    """The active member whose code this is, now; None for anything else (malformed, made up,
    expired, a deactivated account)."""
    code = member_code_normalise(code)
    if not code.isascii() or not code.isdigit() or not CHECK_DIGITS < len(code) <= _MAX_LENGTH:
        return None
    check, id_digits = code[:CHECK_DIGITS], code[CHECK_DIGITS:]
    if id_digits.startswith("0"):
        return None
    user_id = int(id_digits)
    step = int((at or now()).timestamp()) // _period()
    if not any(hmac.compare_digest(check, _check(user_id, s)) for s in (step, step - 1)):
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()
