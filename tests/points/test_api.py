import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from core.demo import seed_demo
from points.api import views
from points.models import PointsTask, SigninReward
from points.services.ledger import account_for_user, account_issuance, ledger_post
from tests.factories import UserFactory
from tests.points.factories import PointsTaskFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
F = PointsTask.Frequency

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def grant(user, points: int, key: str = "seed") -> None:
    ledger_post(
        kind="admin_adjust",
        key=f"{key}:{user.pk}",
        legs=[(account_issuance(), -points), (account_for_user(user), points)],
        memo="gift",
    )


@pytest.fixture
def member(db):
    return UserFactory(date_joined=at(2026, 11, 1, 9))


@pytest.fixture
def client(member):
    """Authenticated without a token, so moving the clock cannot expire it (tokens: test_auth_api)."""
    client = APIClient()
    client.force_authenticate(user=member)
    return client


def test_points_endpoints_need_a_token(api_client):
    for method, path in [
        ("get", "/api/points/history"),
        ("get", "/api/points/tasks"),
        ("post", "/api/points/tasks/x/complete"),
        ("post", "/api/points/signin"),
        ("get", "/api/points/signin/calendar?month=2026-11"),
        ("post", "/api/points/signin/makeup"),
    ]:
        response = getattr(api_client, method)(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"


def test_writes_use_the_write_throttle():
    for view in (views.PointsTaskCompleteApi, views.SigninCreateApi, views.SigninMakeupApi):
        assert view.throttle_scope == "write"


class TestHistory:
    def test_entries_newest_first_with_balance_after(self, client, member):
        grant(member, 100)
        PointsTaskFactory(code="share", points=5)
        client.post("/api/points/tasks/share/complete")

        response = client.get("/api/points/history")

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2 and body["next"] is None
        assert body["expiring_soon"] == []
        newest, oldest = body["results"]
        assert set(newest) == {"id", "amount", "kind", "memo", "balance_after", "created_at"}
        assert (newest["amount"], newest["kind"], newest["balance_after"]) == (5, "task_reward", 105)
        assert (oldest["amount"], oldest["kind"], oldest["memo"], oldest["balance_after"]) == (
            100,
            "admin_adjust",
            "gift",
            100,
        )
        assert newest["id"] > oldest["id"]

    def test_only_my_entries_and_paginated(self, client, member):
        for n in range(3):
            grant(member, 10, key=f"g{n}")
        grant(UserFactory(), 99)

        first = client.get("/api/points/history?page_size=2").json()
        second = client.get(first["next"]).json()

        assert [e["balance_after"] for e in first["results"] + second["results"]] == [30, 20, 10]
        assert second["next"] is None
        assert client.get("/api/points/history?page=9").json()["code"] == "not_found"

    def test_expiring_soon_from_lots(self, client, member, settings):
        settings.POINTS_EXPIRY_ENABLED = True
        settings.POINTS_EXPIRY_RULE = "10"
        settings.POINTS_EXPIRING_SOON_DAYS = 30
        with time_machine.travel(at(2026, 11, 1, 10), tick=False):
            grant(member, 40, key="early")
        with time_machine.travel(at(2026, 11, 5, 10), tick=False):
            grant(member, 25, key="later")
        settings.POINTS_EXPIRY_RULE = "365"
        with time_machine.travel(at(2026, 11, 5, 10), tick=False):
            grant(member, 7, key="far")  # expires in a year: not soon

            body = client.get("/api/points/history").json()

        assert [(row["points"], row["expires_at"][:10]) for row in body["expiring_soon"]] == [
            (40, "2026-11-11"),
            (25, "2026-11-15"),
        ]


class TestTasksApi:
    def test_list_shape(self, client):
        PointsTaskFactory(code="welcome", client_completable=False, frequency=F.ONCE, points=100, sort_order=0)
        PointsTaskFactory(code="share", frequency=F.DAILY, points=5, growth=1, sort_order=1)

        response = client.get("/api/points/tasks")

        assert response.status_code == 200
        rows = response.json()
        assert [row["code"] for row in rows] == ["welcome", "share"]
        assert {k: rows[1][k] for k in ("points", "growth", "frequency", "done", "available")} == {
            "points": 5,
            "growth": 1,
            "frequency": "daily",
            "done": False,
            "available": True,
        }
        assert rows[0]["available"] is False

    def test_complete_and_error_codes(self, client):
        PointsTaskFactory(code="share", frequency=F.DAILY, points=5)
        PointsTaskFactory(code="welcome", client_completable=False)
        PointsTaskFactory(code="read", frequency=F.UNLIMITED, daily_cap=1, points=2)

        ok = client.post("/api/points/tasks/share/complete")
        assert ok.status_code == 200
        assert ok.json() == {"awarded": 5, "growth": 0, "points": 5}

        again = client.post("/api/points/tasks/share/complete")
        assert (again.status_code, again.json()["code"]) == (409, "task_already_done")
        assert client.post("/api/points/tasks/read/complete").status_code == 200
        capped = client.post("/api/points/tasks/read/complete")
        assert (capped.status_code, capped.json()["code"]) == (409, "task_daily_cap_reached")
        server = client.post("/api/points/tasks/welcome/complete")
        assert (server.status_code, server.json()["code"]) == (403, "task_server_only")
        missing = client.post("/api/points/tasks/nope/complete")
        assert (missing.status_code, missing.json()["code"]) == (404, "task_not_found")
        assert client.get("/api/points/tasks").json()[0]["done"] is True


class TestSigninApi:
    def test_signin_then_again(self, client):
        SigninReward.objects.create(day=1, points=5)
        with time_machine.travel(at(2026, 11, 23, 9), tick=False):
            first = client.post("/api/points/signin")
            second = client.post("/api/points/signin")

        assert first.status_code == 200
        assert first.json() == {"date": "2026-11-23", "streak": 1, "awarded": 5, "points": 5}
        assert second.status_code == 409
        assert second.json()["code"] == "already_signed_in"

    def test_calendar(self, client):
        with time_machine.travel(at(2026, 11, 22, 9), tick=False):
            client.post("/api/points/signin")
        with time_machine.travel(at(2026, 11, 23, 9), tick=False):
            client.post("/api/points/signin")
            response = client.get("/api/points/signin/calendar?month=2026-11")

        assert response.status_code == 200
        assert response.json() == {"days": ["2026-11-22", "2026-11-23"], "streak": 2}

    @pytest.mark.parametrize("query", ["", "?month=2026-13", "?month=abc", "?month=2026-1", "?month=0000-01"])
    def test_calendar_bad_month(self, client, query):
        response = client.get(f"/api/points/signin/calendar{query}")

        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert "month" in response.json()["fields"]

    @pytest.mark.parametrize(
        "month", ["9999-12", "9999-01", "10000-01", "0001-01", "1999-12", "2101-01", "2026-13", "2026-00", "garbage"]
    )
    def test_calendar_month_out_of_range_is_400_not_500(self, client, month):
        response = client.get(f"/api/points/signin/calendar?month={month}")

        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert list(response.json()["fields"]) == ["month"]

    @pytest.mark.parametrize("month", ["2000-01", "2100-12"])
    def test_calendar_edge_months_of_the_range_answer(self, client, month):
        response = client.get(f"/api/points/signin/calendar?month={month}")

        assert response.status_code == 200
        assert response.json() == {"days": [], "streak": 0}

    def test_makeup(self, client, member):
        grant(member, 50)
        with time_machine.travel(at(2026, 11, 22, 9), tick=False):
            client.post("/api/points/signin")
        with time_machine.travel(at(2026, 11, 24, 9), tick=False):
            client.post("/api/points/signin")
            response = client.post("/api/points/signin/makeup", {"date": "2026-11-23"}, format="json")
            again = client.post("/api/points/signin/makeup", {"date": "2026-11-23"}, format="json")
            today = client.post("/api/points/signin/makeup", {"date": "2026-11-24"}, format="json")

        assert response.status_code == 200
        assert response.json() == {"date": "2026-11-23", "streak": 3, "cost": 20, "points": 30}
        assert (again.status_code, again.json()["code"]) == (409, "already_signed_in")
        assert (today.status_code, today.json()["code"]) == (400, "invalid_makeup_date")

    @pytest.mark.parametrize("body", [{}, {"date": "2026-02-30"}, {"date": 20261123}, {"date": ["2026-11-23"]}])
    def test_makeup_bad_input(self, client, body):
        response = client.post("/api/points/signin/makeup", body, format="json")

        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    def test_makeup_limit_and_cost(self, client, member):
        with time_machine.travel(at(2026, 11, 24, 9), tick=False):
            poor = client.post("/api/points/signin/makeup", {"date": "2026-11-20"}, format="json")
            grant(member, 100)
            for day in ("2026-11-20", "2026-11-21"):
                assert client.post("/api/points/signin/makeup", {"date": day}, format="json").status_code == 200
            third = client.post("/api/points/signin/makeup", {"date": "2026-11-22"}, format="json")

        assert (poor.status_code, poor.json()["code"]) == (400, "insufficient_points")
        assert (third.status_code, third.json()["code"]) == (409, "no_makeup_left")


@pytest.mark.django_db(transaction=True)
def test_over_http_with_demo_data(api_client):
    """A newcomer with the demo data: welcome points, sign-in, streak across local midnight, history."""
    seed_demo()

    with time_machine.travel(at(2026, 11, 23, 23, 58), tick=False):
        login = api_client.post("/api/auth/wechat/login", {"code": "newcomer"}, format="json")
        assert login.status_code == 200 and login.json()["user"]["is_new"] is True
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

        me = api_client.get("/api/me").json()
        assert me["points"] >= 100
        assert me["level"] == "青铜"

        signin = api_client.post("/api/points/signin")
        assert signin.status_code == 200
        assert signin.json()["streak"] == 1 and signin.json()["awarded"] > 0
        assert signin.json()["points"] == me["points"] + signin.json()["awarded"]

        again = api_client.post("/api/points/signin")
        assert (again.status_code, again.json()["code"]) == (409, "already_signed_in")

    with time_machine.travel(at(2026, 11, 24, 0, 1), tick=False):
        next_day = api_client.post("/api/points/signin")
        assert next_day.status_code == 200
        assert next_day.json()["streak"] == 2

        history = api_client.get("/api/points/history").json()
        me = api_client.get("/api/me").json()
    assert history["results"][0]["balance_after"] == me["points"] == next_day.json()["points"]
    assert me["growth"] > 0
    call_command("audit_ledger")  # raises CommandError when the ledger is off


def test_completing_the_profile_pays_the_profile_task_once(db):
    from core.demo import seed_demo
    from tests.conftest import client_for
    from tests.factories import UserFactory

    seed_demo()
    user = UserFactory(nickname="")
    client = client_for(user)

    client.patch("/api/me", {"nickname": "小王"}, format="json")
    assert client.get("/api/me").json()["points"] == 0
    client.patch("/api/me", {"avatar_url": "https://example.com/a.png"}, format="json")
    client.patch("/api/me", {"nickname": "小王2"}, format="json")

    assert client.get("/api/me").json()["points"] == 10
