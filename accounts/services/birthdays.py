"""The birthday gift's nightly job (docs/membership.md "Birthday gift"): the members whose birthday
is the site's local day get their level's gift, through points.services.privileges."""

import datetime as dt

from django.db.models import Q, QuerySet

from core.clock import local_today
from core.models import User
from points.services.privileges import birthday_gifts_pay


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def birthday_members(*, today: dt.date) -> QuerySet:
    """Active members (no staff, no deleted account) whose birthday falls on `today`: the same month
    and day, and on 28 February of a year without a 29th also those born on 29 February."""
    match = Q(birthday__month=today.month, birthday__day=today.day)
    if (today.month, today.day) == (2, 28) and not _is_leap(today.year):
        match |= Q(birthday__month=2, birthday__day=29)
    return User.objects.filter(match, is_active=True, is_staff=False, birthday__isnull=False).order_by("pk")


def birthday_gifts_run(*, today: dt.date | None = None) -> int:
    """Pay today's birthday gifts; returns how many this run paid. Any number of runs a day (or a
    year) pays each member at most once a calendar year: the gift's ledger key is per member and
    year, so a member who changes their birthday to another day later in the year gets nothing more."""
    today = today or local_today()
    members = list(birthday_members(today=today).only("pk"))  # about one member in 365
    return birthday_gifts_pay(users=members, today=today)
