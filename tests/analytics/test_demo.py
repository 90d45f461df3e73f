"""`seed_demo --history N`: simulated activity through the real services, idempotent, ledger clean."""

import io

import pytest
from django.core.management import call_command

from analytics.models import AutomationRule, DailyMetric
from analytics.services import analytics_nightly
from core.models import User
from events.models import Event
from points.services.audit import ledger_audit

pytestmark = pytest.mark.django_db


def test_history_goes_through_the_services_and_runs_once():
    call_command("seed_demo", history=4, stdout=io.StringIO())
    simulated = User.objects.filter(openid__startswith="fake-hist-").count()
    assert simulated >= 4 * 3
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"registered", "phone_verified", "signed_in"} <= kinds
    assert Event.objects.filter(kind="registered").count() >= simulated
    assert ledger_audit().ok
    assert AutomationRule.objects.count() == 2  # the new-user coupon and the win-back gift

    events = Event.objects.count()
    call_command("seed_demo", history=4, stdout=io.StringIO())  # idempotent
    assert Event.objects.count() == events
    assert User.objects.filter(openid__startswith="fake-hist-").count() == simulated

    analytics_nightly()
    assert DailyMetric.objects.filter(metric="new_users").exists()
    assert ledger_audit().ok


def test_history_takes_a_sane_number_of_days():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_demo", history=-1, stdout=io.StringIO())
    assert not User.objects.exists()
