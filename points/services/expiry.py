"""Points expiry: the nightly job turns what is left of overdue lots into ledger transactions.

Lots are tracked whether expiry is on or off (points.services.ledger), so a lot's `remaining` is
always points the member still has: switching POINTS_EXPIRY_ENABLED off and on again never makes
the job expire points spent meanwhile. The setting decides whether new lots get a date (off: they
never expire) and whether this job runs; a lot keeps the date it was given when it was credited.
"""

from django.conf import settings
from django.db import transaction

from core.clock import now
from core.locks import lock_members
from points.models import Account, Lot, LotUse, Transaction
from points.services.ledger import account_expired, ledger_lock, ledger_post

EXPIRY_BATCH = 500


def lots_expire(*, batch_size: int = EXPIRY_BATCH) -> int:
    """Expire every lot past its date with points left. Returns the points expired.

    Each lot's expiry is its own ledger transaction keyed by the lot, so a re-run or a crash
    midway expires nothing twice. Lots are taken in batches to keep transactions short. With
    POINTS_EXPIRY_ENABLED off it expires nothing: overdue lots wait, with their dates, for it to be
    switched on again. Lots that never expire (no date) are never taken.
    """
    if not settings.POINTS_EXPIRY_ENABLED:
        return 0
    expired_points = 0
    sink = account_expired()
    last_id = 0
    while True:
        lot_ids = list(
            Lot.objects.filter(expires_at__lte=now(), remaining__gt=0, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not lot_ids:
            return expired_points
        for lot_id in lot_ids:
            expired_points += _lot_expire(lot_id, sink)
        last_id = lot_ids[-1]


def _lot_expire(lot_id: int, sink: Account) -> int:
    with transaction.atomic():
        lot = Lot.objects.select_related("account").get(pk=lot_id)
        # The member first, then the wallet and the sink (docs/concurrency.md), then read what
        # is left of the lot: the member's own spending uses the lot up under the same lock.
        lock_members(lot.account.user_id)
        ledger_lock(lot.account, sink)
        lot.refresh_from_db(fields=["remaining"])
        if lot.remaining == 0:
            return 0
        amount = lot.remaining
        # A refund may give points back to a lot that already expired; its next expiry is a new
        # transaction, numbered by the expiries before it (read under the wallet lock).
        round_number = LotUse.objects.filter(lot=lot, entry__transaction__kind=Transaction.Kind.EXPIRY).count() + 1
        ledger_post(
            kind=Transaction.Kind.EXPIRY,
            key=f"expiry:lot:{lot.pk}:{round_number}",
            legs=[(lot.account, -amount), (sink, amount)],
            memo="积分过期",
            metadata={"lot": lot.pk, "expires_at": lot.expires_at.isoformat()},
            _expire_lot=lot,
        )
        return amount
