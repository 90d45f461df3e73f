"""Time helpers: every business "day" is a local calendar day of a zone, never a UTC day."""

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
