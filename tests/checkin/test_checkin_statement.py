"""On PostgreSQL a check-in is one statement (the insert, the entry's count, the streak, the
standing and the event): it must write exactly what the same steps write one by one (the SQLite
path, and makeups), whatever the user's past days."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from checkin.models import CheckIn, Entry, Round, Standing
from checkin.services import checkin_create
from checkin.services import checkins as checkins_module
from checkin.services.leaderboards import _streak_runs, standing_update_streak
from events.models import Event
from tests.checkin.factories import MultiDayChallengeFactory, at
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TODAY = dt.date(2026, 3, 20)
MOMENT = at(2026, 3, 20, 21, 30, 15, 250)

past_days = st.sets(st.integers(1, 19), max_size=12).map(
    lambda offsets: sorted(TODAY - dt.timedelta(days=offset) for offset in offsets)
)


def _enrolled(challenge, round_, user, *, checkins: int, days: list[dt.date], standing_at) -> Entry:
    entry = Entry.objects.create(round=round_, user=user, stake=10, joined_date=round_.start_date, checkins=checkins)
    CheckIn.objects.bulk_create(
        CheckIn(entry=entry, user=user, challenge=challenge, local_date=d, checked_in_at=at(d.year, d.month, d.day, 21))
        for d in days
    )
    if standing_at is not None:  # the standing as the earlier check-ins left it
        standing_update_streak(challenge=challenge, user=user, at=standing_at)
    return entry


def _written(challenge, user, entry_id) -> dict:
    standing = Standing.objects.get(challenge=challenge, user=user)
    entry = Entry.objects.get(pk=entry_id)
    checkin = CheckIn.objects.get(entry_id=entry_id, local_date=TODAY)
    event = Event.objects.get(user=user, kind="checked_in")
    return {
        "streak": (standing.streak, standing.best_streak, standing.streak_date),
        "streak_reached": (standing.streak_at, standing.streak_score),
        "winnings": (standing.winnings, standing.winnings_score),
        "entry": (entry.checkins, entry.qualified_at),
        "checkin": (checkin.checked_in_at, checkin.makeup, checkin.note, checkin.image_url),
        "event": (event.at, event.ref == f"checkin:{checkin.pk}"),
    }


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=past_days,
    checkins=st.integers(0, 6),
    required=st.integers(1, 6),
    had_standing=st.booleans(),
)
def test_the_one_statement_writes_what_the_steps_write(days, checkins, required, had_standing):
    with transaction.atomic():
        challenge = MultiDayChallengeFactory(start_date=dt.date(2026, 3, 1), duration_days=30)
        round_ = Round.objects.create(
            challenge=challenge,
            start_date=dt.date(2026, 3, 1),
            end_date=dt.date(2026, 3, 30),
            required_days=required,
            split_rule=challenge.split_rule,
            no_winner_rule=challenge.no_winner_rule,
        )
        one, other = UserFactory(), UserFactory()
        earlier = at(2026, 3, 19, 21) if had_standing else None
        for user in (one, other):
            _enrolled(challenge, round_, user, checkins=checkins, days=days, standing_at=earlier)
        kwargs = {"challenge": challenge, "day": TODAY, "at": MOMENT, "note": "早", "image_url": "/media/a.jpg"}

        by_statement = checkins_module._checkin_write_statement(user=one, **kwargs)
        by_steps = checkins_module._checkin_write_portable(user=other, **kwargs)

        assert _written(challenge, one, by_statement.entry_id) == _written(challenge, other, by_steps.entry_id)
        current, best = _streak_runs([*days, TODAY])
        assert (by_statement.standing.streak, by_statement.standing.streak_score) == (
            by_steps.standing.streak,
            by_steps.standing.streak_score,
        )
        assert Standing.objects.get(challenge=challenge, user=one).best_streak == best
        assert by_statement.standing.streak == current
        # A second check-in the same day writes nothing and names the entry.
        again = checkins_module._checkin_write_statement(user=one, **kwargs)
        assert (again.entry_id, again.checkin) == (by_statement.entry_id, None)
        assert CheckIn.objects.filter(user=one).count() == len(days) + 1
        assert Event.objects.filter(user=one).count() == 1
        transaction.set_rollback(True)


def test_a_check_in_with_no_reward_due_is_three_statements():
    """The first-check-in task and referral rules are read without locks; with neither due the
    check-in is its one statement, committed on its own (no BEGIN and COMMIT around it). All three
    run prepared, outside Django's query log, so they are counted where they are sent."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.db import fetch_prepared

    challenge = MultiDayChallengeFactory()
    user = UserFactory()
    round_ = Round.objects.create(
        challenge=challenge,
        start_date=challenge.start_date,
        end_date=challenge.start_date + dt.timedelta(days=4),
        required_days=3,
        split_rule=challenge.split_rule,
        no_winner_rule=challenge.no_winner_rule,
    )
    Entry.objects.create(round=round_, user=user, stake=10, joined_date=round_.start_date)
    sent = mock.Mock(wraps=fetch_prepared)
    sites = ("checkin.services.checkins", "points.services.tasks", "referral.services.rewards")
    patches = [mock.patch(f"{site}.fetch_prepared", sent) for site in sites]
    with time_machine.travel(at(2026, 3, 2, 21), tick=False), CaptureQueriesContext(connection) as logged:
        for patch in patches:
            patch.start()
        try:
            checkin, created = checkin_create(user=user, challenge=challenge)
        finally:
            for patch in patches:
                patch.stop()
    assert [query["sql"] for query in logged.captured_queries] == []  # no BEGIN, COMMIT or other statement
    assert sent.call_count == 3
    assert created and checkin.pk == CheckIn.objects.get(user=user).pk
    assert Standing.objects.get(user=user).streak == 1
    assert Entry.objects.get(user=user).checkins == 1
