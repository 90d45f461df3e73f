"""Time helpers: every business "day" is a local calendar day of a zone, never a UTC day."""

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def now() -> dt.datetime:
    return timezone.now()


def local_now(zone: ZoneInfo | str | None = None) -> dt.datetime:
    zone = ZoneInfo(zone) if isinstance(zone, str) else (zone or site_zone())
    return timezone.now().astimezone(zone)


def local_today(zone: ZoneInfo | str | None = None) -> dt.date:
    return local_now(zone).date()


def local_midnight(day: dt.date, zone: ZoneInfo | str | None = None) -> dt.datetime:
    """The aware instant at which `day` starts in `zone`."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else (zone or site_zone())
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def window_open(*, active: bool, starts_at: dt.datetime | None, ends_at: dt.datetime | None, at=None) -> bool:
    """Whether something switched on, with an optional [starts_at, ends_at) window, is open at `at`."""
    at = at or now()
    if not active:
        return False
    if starts_at is not None and at < starts_at:
        return False
    return ends_at is None or at < ends_at


@contextlib.contextmanager
def replay_at(moment: dt.datetime):
    """Run the enclosed code as if it were `moment`: every clock of the project reads
    `django.utils.timezone.now` (this module, model timestamps), so replacing it moves them all.

    For the demo's simulated history only (`seed_demo --history`), in a command that runs alone:
    the replacement is process-wide, so it must never run while requests are served. It needs no
    test library, so the demo builds its history from the runtime requirements."""
    if timezone.is_naive(moment):
        raise ValueError("replay_at needs an aware datetime")
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield moment
    finally:
        timezone.now = real
