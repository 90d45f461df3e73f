"""Growth value (成长值): it only grows, at most POINTS_GROWTH_DAILY_CAP per user and local day.

Each grant has a source key (GrowthEntry.key is unique), so granting the same event twice adds
nothing the second time. The level is the highest Level whose threshold the total has reached.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from core.clock import local_today
from core.locks import lock_members
from points.models import Growth, GrowthEntry


def _lock_growth(user) -> Growth:
    """The member's own growth row, under their member lock (taken here unless the caller holds
    it), so the row itself never waits."""
    lock_members(user)
    Growth.objects.get_or_create(user=user)
    return Growth.objects.select_for_update().get(user=user)


def growth_add(*, user, amount: int, key: str, reason: str = "") -> int:
    """Add up to `amount` growth for the event `key`; returns what was actually added (after the cap).

    A key already granted adds nothing and returns 0. A grant cut to 0 by the daily cap still records
    its key, so the event is never granted later either.

    It runs under the user's member lock (docs/concurrency.md), which serialises their grants.
    """
    if amount <= 0:
        return 0
    with transaction.atomic():
        growth = _lock_growth(user)  # serialises one user's grants, so the cap holds under concurrency
        if GrowthEntry.objects.filter(key=key).exists():
            return 0
        today = local_today()
        added = amount
        cap = settings.POINTS_GROWTH_DAILY_CAP
        if cap > 0:
            used = GrowthEntry.objects.filter(user=user, local_date=today).aggregate(s=Sum("amount"))["s"] or 0
            added = max(0, min(amount, cap - used))
        try:
            with transaction.atomic():
                GrowthEntry.objects.create(user=user, key=key, amount=added, local_date=today, reason=reason[:100])
        except IntegrityError:
            return 0  # the same key for another user, granted meanwhile
        if added:
            Growth.objects.filter(pk=growth.pk).update(total=F("total") + added)
    return added
