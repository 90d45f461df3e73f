"""Level privileges (会员特权) that move points: the mall discount's arithmetic and the birthday gift.

The other privileges are read where they apply (docs/membership.md "Level privileges"): the extra
makeup cards in checkin's makeup, the extra lottery draws in the lottery's allowance, the
exclusive products in the mall's level gate.

The discount: `price * percent // 100` points off each unit, rounded down, so the member pays the
rounded-up price and, the percent being at most 99, a product priced at 1 point or more never
costs less than 1 point. Points stay integers; nothing is ever below zero.
"""

import datetime as dt

from django.db import transaction

from core.locks import lock_members, retry_on_conflict
from points.models import MAX_DISCOUNT_PERCENT, Growth, Level, Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_post


def level_discount(*, price: int, percent: int) -> int:
    """The points off one unit priced `price` at `percent` off: rounded down, between 0 and
    price - 1 for a positive price (0 for a price of 0 or less, or a percent of 0 or less)."""
    if price <= 0 or percent <= 0:
        return 0
    return price * min(percent, MAX_DISCOUNT_PERCENT) // 100


def member_level_now(*, user) -> Level | None:
    """The member's level read fresh (under their member lock, when the caller holds it)."""
    growth = Growth.objects.filter(user=user).values_list("total", flat=True).first() or 0
    return Level.objects.filter(threshold__lte=growth).order_by("-threshold").first()


def birthday_gift_key(*, user_id: int, year: int) -> str:
    return f"birthday:{user_id}:{year}"


@retry_on_conflict
@transaction.atomic
def birthday_gift_pay(*, user, today: dt.date) -> Transaction | None:
    """Pay the birthday gift of the member's current level for `today`'s year, once a year:
    the key `birthday:<user>:<year>` makes a second run, or a level reached later that year,
    pay nothing more. Returns the gift's transaction (the first one on a repeat), or None when
    the member's level gives no gift.

    The caller decides that today is the member's birthday (accounts.services.birthdays, the
    nightly job). Locks: the member, then issuance and the wallet (one ledger_post)."""
    lock_members(user)
    key = birthday_gift_key(user_id=user.pk, year=today.year)
    paid = Transaction.objects.filter(key=key).first()
    if paid is not None:
        return paid
    level = member_level_now(user=user)
    if level is None or level.birthday_gift_points <= 0:
        return None
    points = level.birthday_gift_points
    return ledger_post(
        kind=Transaction.Kind.BIRTHDAY_GIFT,
        key=key,
        legs=[(account_issuance(), -points), (account_for_user(user), points)],
        memo=f"生日礼 {level.name}"[:200],
        metadata={"level": level.pk, "date": today.isoformat()},
    )


def birthday_gifts_pay(*, users, today: dt.date) -> int:
    """The nightly job's body: the birthday gift of each of `users` (members whose birthday is
    `today`), each in its own transaction, so a crash loses at most one and a re-run pays only
    those not yet paid. Returns how many gifts were paid by this run."""
    paid = 0
    for user in users:
        key = birthday_gift_key(user_id=user.pk, year=today.year)
        if Transaction.objects.filter(key=key).exists():
            continue
        if birthday_gift_pay(user=user, today=today) is not None:
            paid += 1
    return paid
