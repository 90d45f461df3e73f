"""What points are worth, and the nightly check of the points liability.

Money is whole fen (分), never a float. The value is a ratio of two integers, `points` points =
`fen` fen, so a sum of points is worth exactly `points_total * fen / points` fen; that fraction is
rounded once, half up (half a fen and more goes up), on the total: the liability is the wallets'
total balance converted once, never a sum of per-member amounts each rounded on its own, so it is
within half a fen of the exact value whatever the number of members (docs/liability.md).
"""

import logging

from django.conf import settings

from analytics.models import LiabilityCheck, PointsValue
from core.clock import now
from points.models import Account
from points.services.audit import WalletSums, accounts_entries_mismatched, wallet_sums, wallets_lots_mismatched

logger = logging.getLogger(__name__)

CHECK_ATTEMPTS = 3  # the three sums are separate reads: a posting between them is not a mismatch
DETAIL_LIMIT = 20


def points_value() -> PointsValue:
    value, _created = PointsValue.objects.get_or_create(pk=1)
    return value


def fen_of_points(points: int, value: PointsValue) -> int:
    """`points` in fen at `value`, rounded half up (half away from zero for a negative amount)."""
    numerator = abs(points) * value.fen
    whole, remainder = divmod(numerator, value.points)
    if 2 * remainder >= value.points:
        whole += 1
    return -whole if points < 0 else whole


def yuan(fen: int) -> str:
    """Fen as yuan for people: ¥1,234.56 (-¥0.05)."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}¥{whole:,}.{cents:02d}"


def _consistent(sums: WalletSums) -> bool:
    return sums.balances == sums.entries == sums.lots


def liability_check() -> LiabilityCheck:
    """Sum what members hold three ways (wallet balances, the wallets' ledger entries, the remainders
    of their lots) and record the liability at today's value. A difference is a problem, with the
    accounts that differ; with expiry on, points still in overdue lots (the expiry job did not take
    them) are one too. Records one LiabilityCheck per run; the dashboard shows the latest."""
    for _attempt in range(CHECK_ATTEMPTS):
        sums = wallet_sums()
        if _consistent(sums):
            break
    value = points_value()
    problems: list[str] = []
    if sums.entries != sums.balances:
        problems.append(f"wallet balances sum to {sums.balances} but their entries sum to {sums.entries}")
    if sums.lots != sums.balances:
        problems.append(f"wallet balances sum to {sums.balances} but their lots hold {sums.lots}")
    if problems:
        problems += accounts_entries_mismatched(Account.objects.filter(kind=Account.Kind.USER), limit=DETAIL_LIMIT)
        problems += wallets_lots_mismatched(limit=DETAIL_LIMIT)
    if settings.POINTS_EXPIRY_ENABLED and sums.overdue:
        problems.append(f"{sums.overdue} points are in lots past their date: the expiry job has not taken them")
    check = LiabilityCheck.objects.create(
        checked_at=now(),
        points=value.points,
        fen=value.fen,
        balances=sums.balances,
        entries=sums.entries,
        lots=sums.lots,
        overdue=sums.overdue,
        liability_fen=fen_of_points(sums.balances, value),
        problems=problems,
        ok=not problems,
    )
    if problems:
        logger.error("points liability check found problems: %s", "; ".join(problems))
    return check


def liability_nightly() -> str:
    check = liability_check()
    outcome = "ok" if check.ok else f"{len(check.problems)} problem(s)"
    return f"liability {yuan(check.liability_fen)} for {check.balances} points: {outcome}"
