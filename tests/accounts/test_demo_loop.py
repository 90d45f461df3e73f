"""`make run`'s demo can be tried in one sitting: the seeded members log in with the codes the
README names, one of them checks in today, and the history needs no test library."""

import io
import sys

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from checkin.demo import DEMO_ALL_DAY_TITLE, DEMO_VISITS_TITLE
from checkin.models import Challenge

pytestmark = pytest.mark.django_db


def test_demo_alice_logs_in_and_checks_in_today():
    call_command("seed_demo", stdout=io.StringIO())
    client = APIClient()
    login = client.post("/api/auth/wechat/login", {"code": "demo-alice"}, format="json")
    assert login.status_code == 200 and login.json()["user"]["nickname"] == "Alice 小艾"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    challenge = Challenge.objects.get(title=DEMO_ALL_DAY_TITLE)

    response = client.post(f"/api/challenges/{challenge.pk}/checkin", {}, format="json")

    assert response.status_code == 201, response.content


def test_the_demo_clerk_records_alices_visit_from_the_code_she_shows():
    from django.conf import settings

    call_command("seed_demo", stdout=io.StringIO())
    alice = APIClient()
    login = alice.post("/api/auth/wechat/login", {"code": "demo-alice"}, format="json").json()
    alice.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    code = alice.get("/api/me/member-code").json()["code"]
    clerk = APIClient()
    staff_login = {"username": settings.DEMO_CLERK_USERNAME, "password": settings.DEMO_CLERK_PASSWORD}
    token = clerk.post("/api/auth/staff/login", staff_login, format="json").json()["access"]
    clerk.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = clerk.post("/api/staff/visits", {"code": code}, format="json")

    assert response.status_code == 200, response.content
    [counted] = response.json()["checkins"]
    assert counted["challenge"]["title"] == DEMO_VISITS_TITLE
    assert (counted["status"], counted["checkins"], counted["required"]) == ("checked_in", 1, 3)


def test_a_newcomer_can_join_the_all_day_challenge_for_tomorrow():
    call_command("seed_demo", stdout=io.StringIO())
    client = APIClient()
    login = client.post("/api/auth/wechat/login", {"code": "newcomer"}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    challenge = Challenge.objects.get(title=DEMO_ALL_DAY_TITLE)

    response = client.post(f"/api/challenges/{challenge.pk}/join", {"stake": 10}, format="json")

    assert response.status_code == 201, response.content


def test_the_history_needs_no_development_dependency(monkeypatch):
    monkeypatch.setitem(sys.modules, "time_machine", None)  # importing it now fails
    out = io.StringIO()

    call_command("seed_demo", history=2, stdout=out)

    from analytics.models import DailyMetric

    assert DailyMetric.objects.filter(metric="new_users").exists()
    assert "demo ready" in out.getvalue()
