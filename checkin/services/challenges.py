"""Challenges and their rounds: which business day it is, which round is open for enrolment,
and creating rounds (each round snapshots the rules it will be settled by)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from checkin import rules
from checkin.models import Challenge, Round
from core.clock import now


def challenge_today(challenge: Challenge, at: dt.datetime | None = None) -> dt.date:
    """The challenge's business day at `at` (default now)."""
    return rules.business_date(at or now(), zone=challenge.zone, cutoff=challenge.day_cutoff)


def challenge_day_start(challenge: Challenge, day: dt.date) -> dt.datetime:
    return rules.day_start(day, zone=challenge.zone, cutoff=challenge.day_cutoff)


def challenge_window(challenge: Challenge, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """(opens, closes) of the check-in window of business day `day`; closes is exclusive."""
    return rules.window_bounds(
        day,
        zone=challenge.zone,
        cutoff=challenge.day_cutoff,
        start=challenge.window_start,
        end=challenge.window_end,
    )


def round_closes_at(round_: Round) -> dt.datetime:
    """When the last window of the round closes: from then on it can be settled."""
    return challenge_window(round_.challenge, round_.end_date)[1]


def round_enroll_closes_at(round_: Round) -> dt.datetime:
    """Enrolment ends when the round's first business day begins."""
    return challenge_day_start(round_.challenge, round_.start_date)


def enrollment_dates(challenge: Challenge, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """(start, end) of the round open for enrolment on business day `today`, or None.

    daily: enrol on day D for the round that checks in on D+1.
    multi_day: enrol before the round's first day; with `repeat`, rounds follow one another.
    """
    if not challenge.is_active:
        return None
    if challenge.kind == Challenge.Kind.DAILY:
        day = today + dt.timedelta(days=1)
        if challenge.start_date and day < challenge.start_date:
            day = challenge.start_date
        return day, day
    length = dt.timedelta(days=challenge.duration_days)
    start = challenge.start_date
    if start <= today:
        if not challenge.repeat:
            return None
        periods = (today - start).days // challenge.duration_days + 1
        start = start + periods * length
    return start, start + length - dt.timedelta(days=1)


def challenges_running() -> QuerySet[Challenge]:
    """Challenges with participants to serve: the active ones, and a switched-off one while a round
    of it is still open (`is_active` stops new entries, not a round already staked)."""
    open_round = Round.objects.filter(challenge=OuterRef("pk"), status=Round.Status.OPEN)
    return Challenge.objects.filter(Q(is_active=True) | Exists(open_round))


def round_get_or_create(*, challenge: Challenge, start: dt.date, end: dt.date) -> Round:
    """The round of `challenge` starting on `start`, created with a snapshot of today's rules."""
    existing = Round.objects.filter(challenge=challenge, start_date=start).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Round.objects.create(
                challenge=challenge,
                start_date=start,
                end_date=end,
                required_days=challenge.required_days if challenge.kind == Challenge.Kind.MULTI_DAY else 1,
                bonus=challenge.bonus,
                split_rule=challenge.split_rule,
                no_winner_rule=challenge.no_winner_rule,
            )
    except IntegrityError:
        return Round.objects.get(challenge=challenge, start_date=start)


def round_for_enrollment(*, challenge: Challenge, at: dt.datetime | None = None) -> Round | None:
    """The round a user joins now (created when needed), or None when enrolment is closed."""
    dates = enrollment_dates(challenge, challenge_today(challenge, at))
    if dates is None:
        return None
    return round_get_or_create(challenge=challenge, start=dates[0], end=dates[1])


def round_next_for_rollover(*, round_: Round) -> Round | None:
    """Where a pool nobody won goes: the earliest later round still open, else the round open for
    enrolment now (created). None when the challenge has no further rounds."""
    later = (
        Round.objects.filter(challenge_id=round_.challenge_id, start_date__gt=round_.end_date, status=Round.Status.OPEN)
        .order_by("start_date")
        .first()
    )
    if later is not None:
        return later
    challenge = round_.challenge
    dates = enrollment_dates(challenge, challenge_today(challenge))
    if dates is None or dates[0] <= round_.end_date:
        return None
    return round_get_or_create(challenge=challenge, start=dates[0], end=dates[1])
