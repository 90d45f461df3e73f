"""Pure rules of check-in challenges: business days, windows, the split of a pool, leaderboard scores.

No database here: services and selectors call these with plain values, and tests drive them directly.

Business day: a challenge's day starts at its `day_cutoff` (local time in its `timezone`). With a
04:00 cutoff, 01:00 on the 2nd belongs to business day the 1st. The check-in window of business
day D is read inside that day: a window time at or after the cutoff is on calendar day D, one
before the cutoff on D+1. The window opens at `window_start` and closes at the end of the minute
`window_end` (09:00 means until 09:00:59.999999).
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAY = dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)


def _offset(cutoff: dt.time, at: dt.time) -> dt.timedelta:
    """How long after the start of a business day the local clock shows `at`."""
    as_delta = dt.timedelta(hours=at.hour, minutes=at.minute, seconds=at.second, microseconds=at.microsecond)
    cut = dt.timedelta(hours=cutoff.hour, minutes=cutoff.minute, seconds=cutoff.second)
    return (as_delta - cut) % DAY


def window_offsets(cutoff: dt.time, start: dt.time, end: dt.time) -> tuple[dt.timedelta, dt.timedelta]:
    """(opens, closes) as offsets from the start of the business day; closes is exclusive."""
    end_minute = end.replace(second=0, microsecond=0)
    return _offset(cutoff, start), _offset(cutoff, end_minute) + MINUTE


def business_date(instant: dt.datetime, *, zone: ZoneInfo, cutoff: dt.time) -> dt.date:
    """The business day an aware instant belongs to."""
    local = instant.astimezone(zone)
    cut = dt.timedelta(hours=cutoff.hour, minutes=cutoff.minute, seconds=cutoff.second)
    return (local.replace(tzinfo=None) - cut).date()


def day_start(day: dt.date, *, zone: ZoneInfo, cutoff: dt.time) -> dt.datetime:
    """The aware instant at which business day `day` starts."""
    return dt.datetime.combine(day, cutoff, tzinfo=zone)


def _at_offset(day: dt.date, offset: dt.timedelta, *, zone: ZoneInfo, cutoff: dt.time) -> dt.datetime:
    # Wall-clock arithmetic, then attach the zone: a window at 06:00 is 06:00 local even across DST.
    naive = dt.datetime.combine(day, cutoff) + offset
    return naive.replace(tzinfo=zone)


def window_bounds(
    day: dt.date, *, zone: ZoneInfo, cutoff: dt.time, start: dt.time, end: dt.time
) -> tuple[dt.datetime, dt.datetime]:
    """When the window of business day `day` opens (inclusive) and closes (exclusive)."""
    opens, closes = window_offsets(cutoff, start, end)
    return _at_offset(day, opens, zone=zone, cutoff=cutoff), _at_offset(day, closes, zone=zone, cutoff=cutoff)


# -- the split ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Winner:
    entry_id: int
    stake: int
    # The tie-break for leftover points: the earlier qualifying check-in first, then the lower entry id.
    qualified_at: object


PROPORTIONAL = "proportional"
EQUAL = "equal"


def split_pool(*, pool: int, winners: list[Winner], rule: str) -> dict[int, int]:
    """Share `pool` among `winners`: entry id -> points.

    Every winner first gets their stake back; the surplus (pool minus winners' stakes) is shared by
    weight: the stake (proportional) or 1 (equal). Each share is rounded down and the leftover points
    go one each to the largest remainders, ties to the earlier qualifying check-in, then the lower
    entry id. For the proportional rule this is exactly pool * stake / sum of stakes with largest
    remainders. The result sums to `pool`, nobody gets less than their stake, and it does not depend
    on the order of `winners`.
    """
    if not winners:
        return {}
    if rule not in (PROPORTIONAL, EQUAL):
        raise ValueError(f"unknown split rule {rule!r}")
    if any(w.stake <= 0 for w in winners):
        raise ValueError("stakes are positive")
    stakes = sum(w.stake for w in winners)
    if pool < stakes:
        raise ValueError(f"pool {pool} is smaller than the winners' stakes {stakes}")
    surplus = pool - stakes
    weights = {w.entry_id: (w.stake if rule == PROPORTIONAL else 1) for w in winners}
    total_weight = sum(weights.values())
    shares, remainders = {}, {}
    for w in winners:
        share, remainder = divmod(surplus * weights[w.entry_id], total_weight)
        shares[w.entry_id] = w.stake + share
        remainders[w.entry_id] = remainder
    leftover = pool - sum(shares.values())
    order = sorted(winners, key=lambda w: (-remainders[w.entry_id], w.qualified_at, w.entry_id))
    for w in order[:leftover]:
        shares[w.entry_id] += 1
    return shares


# -- leaderboard scores -------------------------------------------------------------------------

# A score is value * 2**30 + (2**30 - 1 - seconds since SCORE_EPOCH at which the value was reached):
# a higher value ranks higher, and among equal values the one reached earlier. It is an integer
# below 2**53, so Redis (which stores doubles) keeps it exactly. Values are capped at VALUE_MAX and
# times are valid until 2058; ties within the same second go to the lower user id.
TIME_BITS = 30
SCORE_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
VALUE_MAX = 2 ** (53 - TIME_BITS) - 1


def board_score(value: int, reached_at: dt.datetime | None) -> int:
    if value <= 0:
        return 0
    seconds = 0 if reached_at is None else int((reached_at - SCORE_EPOCH).total_seconds())
    seconds = min(max(seconds, 0), 2**TIME_BITS - 1)
    return min(value, VALUE_MAX) * 2**TIME_BITS + (2**TIME_BITS - 1 - seconds)


def board_score_sql(value: str, reached_at: str) -> str:
    """board_score as a PostgreSQL expression of the SQL expressions `value` (bigint) and
    `reached_at` (timestamptz), for scores computed where the values are (a settlement batch)."""
    seconds = f"FLOOR(EXTRACT(EPOCH FROM ({reached_at}) - TIMESTAMPTZ '{SCORE_EPOCH.isoformat()}'))::bigint"
    seconds = f"LEAST(GREATEST(COALESCE({seconds}, 0), 0), {2**TIME_BITS - 1})"
    return (
        f"(CASE WHEN ({value}) <= 0 THEN 0 ELSE LEAST(({value}), {VALUE_MAX})::bigint * {2**TIME_BITS}"
        f" + ({2**TIME_BITS - 1} - {seconds}) END)"
    )


def board_value(score: int) -> int:
    return int(score) >> TIME_BITS


def early_score(checked_in_at: dt.datetime, opens_at: dt.datetime) -> int:
    """Microseconds after the window opened: lower is earlier."""
    delta = checked_in_at - opens_at
    return max(0, delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds)
