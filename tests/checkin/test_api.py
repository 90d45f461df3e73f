"""The HTTP API, end to end on the demo challenges."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from checkin import demo
from checkin.models import Challenge, Round, SubscribeCredit
from points.services.audit import ledger_audit
from points.services.ledger import account_pool
from tests.checkin.factories import ChallengeFactory, MultiDayChallengeFactory, at, balance, fund, payout_legs
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)


class Caller:
    """A client whose access token is minted at the (travelled) time of each request."""

    def __init__(self, user):
        self.user = user

    def __getattr__(self, method):
        return lambda *args, **kwargs: getattr(client_for(self.user), method)(*args, **kwargs)


def on(day: dt.date, hour=12, minute=0):
    return time_machine.travel(at(day.year, day.month, day.day, hour, minute), tick=False)


@pytest.fixture
def early_bird():
    demo.seed()
    return Challenge.objects.get(title="早起打卡")


def test_three_users_stake_two_show_up_and_the_pool_is_paid_once_one_to_three(early_bird):
    users = [UserFactory() for _ in range(3)]
    for user in users:
        fund(user, 100)
    clients = [Caller(u) for u in users]
    base = f"/api/challenges/{early_bird.pk}"

    # Day D: three users stake 10, 30 and 20.
    with on(D):
        for client, stake in zip(clients, [10, 30, 20], strict=True):
            response = client.post(f"{base}/join", {"stake": stake}, format="json")
            assert response.status_code == 201, response.json()
            assert response.json()["stake"] == stake and response.json()["status"] == "active"
        detail = clients[0].get(base).json()
        assert detail["current_round"]["pool"] == 60 + 100
        assert detail["current_round"]["participants"] == 3
        assert detail["my_entry"]["stake"] == 10
        assert detail["rules_text"]

    # Day D+1: the first two check in at 06:30, the third at 09:30 is too late.
    with on(D + dt.timedelta(days=1), 6, 30):
        for client in clients[:2]:
            response = client.post(f"{base}/checkin", {}, format="json")
            assert response.status_code == 201, response.json()
            assert response.json()["date"] == "2026-03-11" and response.json()["makeup"] is False
        repeat = clients[0].post(f"{base}/checkin", {}, format="json")
        assert repeat.status_code == 200
    with on(D + dt.timedelta(days=1), 9, 30):
        late = clients[2].post(f"{base}/checkin", {}, format="json")
        assert late.status_code == 409
        assert late.json()["code"] == "checkin_window_closed"

    # Day D+2: settle_rounds twice pays the pool exactly once.
    with on(D + dt.timedelta(days=2), 0, 10):
        call_command("settle_rounds")
        call_command("settle_rounds")
    round_ = Round.objects.get(challenge=early_bird, start_date=D + dt.timedelta(days=1))
    assert account_pool(round_.pk).balance == 0
    assert payout_legs() == 2
    won = [balance(u) - (100 - stake) for u, stake in zip(users, [10, 30, 20], strict=True)]
    assert won[0] + won[1] == 160 and won[2] == 0
    assert abs(won[1] - 3 * won[0]) <= 3  # 1:3 within a point of each share
    assert won == [40, 120, 0]

    # The winnings board ranks them.
    with on(D + dt.timedelta(days=2), 8):
        board = clients[0].get(f"{base}/leaderboard", {"board": "winnings"}).json()
    assert [(e["rank"], e["user"]["id"], e["score"]) for e in board["entries"]] == [
        (1, users[1].pk, 120),
        (2, users[0].pk, 40),
    ]
    assert board["me"] == {"rank": 2, "score": 40}
    assert set(board["entries"][0]["user"]) == {"id", "nickname", "avatar_url"}

    # The round's report and my entries.
    rounds = clients[1].get(f"{base}/rounds").json()["results"]
    assert rounds[0]["id"] == round_.pk
    assert (rounds[0]["pool"], rounds[0]["winners"], rounds[0]["my_payout"]) == (160, 2, 120)
    assert rounds[0]["status"] == "settled" and rounds[0]["outcome"] == "paid"
    mine = clients[2].get("/api/me/entries").json()["results"]
    assert (mine[0]["status"], mine[0]["payout"]) == ("lost", None)
    assert clients[1].get("/api/me/entries").json()["results"][0]["payout"] == 120

    assert ledger_audit().ok
    call_command("audit_ledger")


def test_join_errors_over_http(early_bird):
    user = UserFactory()
    fund(user, 15)
    client = Caller(user)
    url = f"/api/challenges/{early_bird.pk}/join"
    with on(D):
        assert client.post(url, {"stake": 20}, format="json").json()["code"] == "insufficient_points"
        assert client.post(url, {"stake": "10"}, format="json").json()["code"] == "invalid"
        assert client.post(url, {}, format="json").status_code == 400
        assert client.post(url, {"stake": 10}, format="json").status_code == 201
        second = client.post(url, {"stake": 10}, format="json")
        assert (second.status_code, second.json()["code"]) == (409, "already_joined")
        assert client.post("/api/challenges/999999/join", {"stake": 10}, format="json").status_code == 404


def test_round_full_and_enrollment_closed_over_http():
    full = ChallengeFactory(max_participants=1)
    closed = MultiDayChallengeFactory(repeat=False)
    first, second = UserFactory(), UserFactory()
    fund(first, 100)
    fund(second, 100)
    with on(dt.date(2026, 3, 5)):
        Caller(first).post(f"/api/challenges/{full.pk}/join", {"stake": 10}, format="json")
        response = Caller(second).post(f"/api/challenges/{full.pk}/join", {"stake": 10}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "round_full")
        response = Caller(second).post(f"/api/challenges/{closed.pk}/join", {"stake": 10}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "enrollment_closed")


def test_not_enrolled_over_http(early_bird):
    with on(D, 6, 30):
        response = client_for(UserFactory()).post(f"/api/challenges/{early_bird.pk}/checkin", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_enrolled")


def test_the_demo_seed_is_idempotent(early_bird):
    demo.seed()
    demo.seed()
    assert Challenge.objects.count() == 4  # 早起打卡 (the fixture), 21天早睡打卡, 全天打卡（演示）, 到店打卡
    visits = Challenge.objects.get(title=demo.DEMO_VISITS_TITLE)
    visits.full_clean()
    assert (visits.checkin_by, visits.makeup_limit, visits.required_days) == ("visit", 0, 3)
    all_day = Challenge.objects.get(title=demo.DEMO_ALL_DAY_TITLE)
    all_day.full_clean()
    assert (all_day.window_start.hour, all_day.window_end.hour) == (0, 23)
    multi = Challenge.objects.get(title="21天早睡打卡")
    assert (multi.duration_days, multi.required_days, multi.makeup_limit) == (21, 18, 3)
    multi.full_clean()
    early_bird.full_clean()


def test_list_shows_the_demo_challenges_and_their_current_round(early_bird):
    client = Caller(UserFactory())
    with on(D):
        body = client.get("/api/challenges").json()
    assert body["next"] is None
    by_title = {c["title"]: c for c in body["results"]}
    daily = by_title["早起打卡"]
    assert (daily["kind"], daily["window_start"], daily["window_end"]) == ("daily", "05:00", "09:00")
    assert (daily["stake_min"], daily["stake_max"], daily["bonus"]) == (10, 100, 100)
    # No one joined yet: the round is described from the rules.
    assert daily["current_round"]["id"] is None and daily["current_round"]["pool"] == 100
    assert daily["current_round"]["start_date"] == "2026-03-11"
    assert daily["current_round"]["enroll_closes_at"].startswith("2026-03-11T00:00:00")
    assert daily["my_entry"] is None
    multi = by_title["21天早睡打卡"]
    assert (multi["kind"], multi["duration_days"], multi["required_days"]) == ("multi_day", 21, 18)
    assert (multi["window_start"], multi["window_end"], multi["makeup_limit"]) == ("20:00", "23:59", 3)


def test_makeup_over_http():
    challenge = MultiDayChallengeFactory()
    user = UserFactory()
    fund(user, 100)
    client = Caller(user)
    base = f"/api/challenges/{challenge.pk}"
    with on(dt.date(2026, 3, 1)):
        assert client.post(f"{base}/join", {"stake": 10}, format="json").status_code == 201
    with on(dt.date(2026, 3, 4)):
        response = client.post(f"{base}/makeup", {"date": "2026-03-02"}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["makeup"] is True and response.json()["date"] == "2026-03-02"
        response = client.post(f"{base}/makeup", {"date": "2026-03-03"}, format="json")
        assert response.status_code == 201
        response = client.post(f"{base}/makeup", {"date": "2026-03-01"}, format="json")
        assert response.status_code == 404
        assert client.post(f"{base}/makeup", {"date": "yesterday"}, format="json").json()["code"] == "invalid"
        assert client.post(f"{base}/makeup", {"date": 20260303}, format="json").status_code == 400
    with on(dt.date(2026, 3, 5)):
        response = client.post(f"{base}/makeup", {"date": "2026-03-04"}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "no_makeup_left")


def test_leaderboard_rejects_an_unknown_board_or_limit(early_bird):
    client = client_for(UserFactory())
    url = f"/api/challenges/{early_bird.pk}/leaderboard"
    assert client.get(url, {"board": "richest"}).json()["code"] == "invalid"
    assert client.get(url, {"limit": "1000"}).status_code == 400
    assert client.get(url, {"limit": "x"}).status_code == 400
    assert client.get(url, {"board": ""}).status_code == 400  # empty is not "the default"
    assert client.get(url, {"limit": ""}).status_code == 400
    assert client.get(url, {"board": "early"}).status_code == 200


def test_leaderboards_show_nicknames_never_phone_or_openid(early_bird):
    user = UserFactory(phone="13800000001", nickname="小明")
    fund(user, 100)
    client = Caller(user)
    with on(D):
        client.post(f"/api/challenges/{early_bird.pk}/join", {"stake": 10}, format="json")
    with on(D + dt.timedelta(days=1), 6):
        client.post(f"/api/challenges/{early_bird.pk}/checkin", {}, format="json")
        body = client.get(f"/api/challenges/{early_bird.pk}/leaderboard", {"board": "early"})
    text = body.content.decode()
    assert "小明" in text
    assert "13800000001" not in text and user.openid not in text
    assert body.json()["entries"][0]["score"] == 3600


def test_subscribe_adds_a_reminder_credit(early_bird):
    client = client_for(UserFactory())
    url = "/api/challenges/subscribe"
    assert client.post(url, {"template_id": demo.DEMO_REMINDER_TEMPLATE}, format="json").json()["credits"] == 1
    assert client.post(url, {"template_id": demo.DEMO_REMINDER_TEMPLATE}, format="json").json()["credits"] == 2
    assert SubscribeCredit.objects.get().credits == 2
    response = client.post(url, {"template_id": "nobody-sends-this"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "unknown_template")
    assert client.post(url, {"template_id": 5}, format="json").status_code == 400


def test_anonymous_callers_are_refused(early_bird, api_client):
    response = api_client.get("/api/challenges")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_a_challenge_switched_off_mid_round_still_runs_that_round_for_those_enrolled():
    """`is_active=False` stops new entries only: the enrolled check in, make up, see their round
    and are paid; a newcomer no longer finds it, and once the round is over it is gone."""
    challenge = MultiDayChallengeFactory(bonus=100)  # 03-02..03-06, 3 of 5 days, window 20:00-23:59
    member, newcomer = UserFactory(), UserFactory()
    fund(member, 100)
    fund(newcomer, 100)
    me, new = Caller(member), Caller(newcomer)
    base = f"/api/challenges/{challenge.pk}"
    with on(dt.date(2026, 3, 1)):
        assert me.post(f"{base}/join", {"stake": 10}, format="json").status_code == 201

    # The operator switches the challenge off once its round has started.
    Challenge.objects.filter(pk=challenge.pk).update(is_active=False)

    with on(dt.date(2026, 3, 2), 21):
        response = me.post(f"{base}/checkin", {}, format="json")
        assert response.status_code == 201, response.json()
        detail = me.get(base)
        assert detail.status_code == 200, detail.json()
        assert detail.json()["today"]["checked_in"] is True and detail.json()["today"]["entry"]["checkins"] == 1
        assert detail.json()["current_round"] is None  # no next round to join
        assert [c["id"] for c in me.get("/api/challenges").json()["results"]] == [challenge.pk]
        # A newcomer no longer finds it, and cannot join.
        assert new.get("/api/challenges").json()["results"] == []
        assert new.get(base).status_code == 404
        response = new.post(f"{base}/join", {"stake": 10}, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "enrollment_closed")
        response = new.post(f"{base}/checkin", {}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_enrolled")
    with on(dt.date(2026, 3, 4), 21):
        response = me.post(f"{base}/makeup", {"date": "2026-03-03"}, format="json")
        assert response.status_code == 201, response.json()
        assert me.post(f"{base}/checkin", {}, format="json").status_code == 201

    with on(dt.date(2026, 3, 7), 0, 10):
        call_command("settle_rounds")
    with on(dt.date(2026, 3, 7), 12):
        mine = me.get("/api/me/entries").json()["results"]
        assert (mine[0]["status"], mine[0]["payout"]) == ("won", 10 + 100)
        rounds = me.get(f"{base}/rounds").json()["results"]
        assert (rounds[0]["status"], rounds[0]["my_payout"]) == ("settled", 110)
        # The round is over: the switched-off challenge leaves the member's list and page too.
        assert me.get("/api/challenges").json()["results"] == []
        assert me.get(base).status_code == 404
    assert balance(member) == 100 - 10 - 20 + 110
    assert ledger_audit().ok


def test_a_daily_challenge_switched_off_after_joining_takes_the_check_in_it_staked_for(early_bird):
    user = UserFactory()
    fund(user, 100)
    client = Caller(user)
    base = f"/api/challenges/{early_bird.pk}"
    with on(D):
        assert client.post(f"{base}/join", {"stake": 10}, format="json").status_code == 201
        Challenge.objects.filter(pk=early_bird.pk).update(is_active=False)
    with on(D + dt.timedelta(days=1), 6, 30):
        response = client.post(f"{base}/checkin", {}, format="json")
        assert response.status_code == 201, response.json()
        assert client.get(base).json()["today"]["checked_in"] is True
        response = client.post(f"{base}/join", {"stake": 10}, format="json")  # tomorrow's round: none
        assert (response.status_code, response.json()["code"]) == (409, "enrollment_closed")
    with on(D + dt.timedelta(days=2), 0, 10):
        call_command("settle_rounds")
    assert balance(user) == 100 - 10 + 10 + 100
