"""Extra makeup cards (补签卡), a level privilege (docs/membership.md "Level privileges").

A challenge allows `makeup_limit` makeups per entry. A member whose level gives
`extra_makeups_per_month` may make that many more makeups per calendar month (the site's time
zone, by when the makeup is made), across all their challenges: an entry's makeups beyond its
challenge's limit are the extra ones. Nothing is stored for it: an entry's makeups in the order
they were made are its check-ins with `makeup` set, ordered by id (each makeup adds one and
counts it in `Entry.makeups_used` in the same transaction), so the first `makeup_limit` of them
are the challenge's own and the rest used a card in the month they were made.

A challenge without makeups (`makeup_limit` 0) stays without: the cards add to a limit, they do
not open makeups the operator closed.
"""

import datetime as dt

from checkin.models import Challenge, CheckIn
from core.clock import local_midnight, site_zone
from points.selectors import member_level


def _month_bounds(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    day = at.astimezone(site_zone()).date().replace(day=1)
    following = (day + dt.timedelta(days=32)).replace(day=1)
    return local_midnight(day), local_midnight(following)


def makeup_cards_used(*, user, at: dt.datetime) -> int:
    """The member's makeups made in `at`'s calendar month beyond their challenge's limit."""
    start, end = _month_bounds(at)
    entry_ids = set(
        CheckIn.objects.filter(user=user, makeup=True, checked_in_at__gte=start, checked_in_at__lt=end).values_list(
            "entry_id", flat=True
        )
    )
    if not entry_ids:
        return 0
    rows = (
        CheckIn.objects.filter(entry_id__in=entry_ids, makeup=True)
        .order_by("entry_id", "id")
        .values_list("entry_id", "checked_in_at", "challenge__makeup_limit")
    )
    used, rank, previous = 0, 0, None
    for entry_id, checked_in_at, limit in rows:
        rank = rank + 1 if entry_id == previous else 1
        previous = entry_id
        if rank > limit and start <= checked_in_at < end:
            used += 1
    return used


def makeup_limit_for(*, user, challenge: Challenge, used: int, at: dt.datetime) -> int:
    """The makeup limit of an entry that has used `used` makeups: the challenge's own, or one
    more than used when the member's level has a card left in `at`'s month. Read under the
    member's lock (the caller's), which serialises their makeups, so a card is spent once."""
    if used < challenge.makeup_limit or challenge.makeup_limit == 0:
        return challenge.makeup_limit
    level = member_level(user=user)
    cards = level.extra_makeups_per_month if level is not None else 0
    if cards and makeup_cards_used(user=user, at=at) < cards:
        return used + 1
    return challenge.makeup_limit
