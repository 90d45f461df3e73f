"""Operators' pages: challenges with rounds inline, the settlement preview, settling and cancelling."""

import pytest
import time_machine
from django.test import Client

from checkin.models import Entry, Round, Settlement
from checkin.services import challenge_join, checkin_create
from tests.checkin.factories import ChallengeFactory, at, balance, fund
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def played():
    challenge = ChallengeFactory(bonus=100)
    users = [UserFactory(nickname=f"玩家{i}") for i in range(3)]
    for user in users:
        fund(user, 100)
    with time_machine.travel(at(2026, 3, 1, 12), tick=False):
        for user, stake in zip(users, [10, 30, 20], strict=True):
            challenge_join(user=user, challenge=challenge, stake=stake)
    with time_machine.travel(at(2026, 3, 2, 6, 30), tick=False):
        checkin_create(user=users[0], challenge=challenge)
        checkin_create(user=users[1], challenge=challenge)
    return challenge, users, Round.objects.get()


def test_the_challenge_page_shows_rounds_inline(operator_client, played):
    challenge, _, round_ = played
    with time_machine.travel(at(2026, 3, 2, 12), tick=False):
        response = operator_client.get(f"/admin/checkin/challenge/{challenge.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"/admin/checkin/round/{round_.pk}/preview/" in text
    assert "160" in text  # the pool


def test_a_new_challenge_can_be_created_and_bad_windows_are_refused(operator_client):
    data = {
        "title": "新挑战",
        "kind": "daily",
        "checkin_by": "app",
        "is_active": "on",
        "sort_order": 0,
        "timezone": "Asia/Shanghai",
        "day_cutoff": "00:00",
        "window_start": "09:00",
        "window_end": "05:00",
        "duration_days": 1,
        "required_days": 1,
        "repeat": "on",
        "makeup_limit": 0,
        "makeup_cost": 0,
        "stake_min": 10,
        "stake_max": 100,
        "bonus": 0,
        "max_participants": 0,
        "split_rule": "proportional",
        "no_winner_rule": "refund",
        "rounds-TOTAL_FORMS": 0,
        "rounds-INITIAL_FORMS": 0,
    }
    response = operator_client.post("/admin/checkin/challenge/add/", data)
    assert response.status_code == 200  # the form again, with the error
    data["window_start"], data["window_end"] = "05:00", "09:00"
    response = operator_client.post("/admin/checkin/challenge/add/", data)
    assert response.status_code == 302


def test_an_attendance_challenge_with_makeup_is_refused_on_the_field(operator_client):
    data = {
        "title": "到店挑战",
        "kind": "multi_day",
        "checkin_by": "visit",
        "is_active": "on",
        "sort_order": 0,
        "timezone": "Asia/Shanghai",
        "day_cutoff": "00:00",
        "window_start": "08:00",
        "window_end": "20:00",
        "start_date": "2026-03-02",
        "duration_days": 7,
        "required_days": 3,
        "repeat": "on",
        "makeup_limit": 2,
        "makeup_cost": 0,
        "stake_min": 10,
        "stake_max": 100,
        "bonus": 0,
        "max_participants": 0,
        "split_rule": "equal",
        "no_winner_rule": "refund",
        "rounds-TOTAL_FORMS": 0,
        "rounds-INITIAL_FORMS": 0,
    }
    response = operator_client.post("/admin/checkin/challenge/add/", data)
    assert response.status_code == 200
    assert "到店打卡的挑战不支持补签" in response.content.decode()
    data["makeup_limit"] = 0
    assert operator_client.post("/admin/checkin/challenge/add/", data).status_code == 302


def test_preview_then_settle(operator_client, played):
    _, users, round_ = played
    url = f"/admin/checkin/round/{round_.pk}/preview/"
    with time_machine.travel(at(2026, 3, 3, 0, 10), tick=False):
        response = operator_client.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        assert "玩家1" in text and "120" in text
        assert not Settlement.objects.exists()
        response = operator_client.post(url)
    assert response.status_code == 302
    assert Settlement.objects.get().state == Settlement.State.DONE
    assert [balance(u) for u in users] == [130, 190, 80]
    assert operator_client.get(url).status_code == 200  # now the report


def test_settling_too_early_is_refused_with_a_message(operator_client, played):
    _, _, round_ = played
    with time_machine.travel(at(2026, 3, 2, 8), tick=False):
        response = operator_client.post(f"/admin/checkin/round/{round_.pk}/preview/", follow=True)
    assert response.status_code == 200
    assert not Settlement.objects.exists()


def test_cancel_refunds_every_stake(operator_client, played):
    _, users, round_ = played
    url = f"/admin/checkin/round/{round_.pk}/cancel/"
    with time_machine.travel(at(2026, 3, 2, 8), tick=False):
        assert operator_client.get(url).status_code == 200
        assert operator_client.post(url).status_code == 302
    assert Round.objects.get().status == Round.Status.CANCELLED
    assert [balance(u) for u in users] == [100, 100, 100]


def test_staff_without_permission_cannot_settle(played):
    _, _, round_ = played
    client = Client()
    client.force_login(StaffFactory())
    assert client.post(f"/admin/checkin/round/{round_.pk}/cancel/").status_code == 403
    assert Round.objects.get().status == Round.Status.OPEN


def test_entries_are_searchable_by_user(operator_client, played):
    response = operator_client.get("/admin/checkin/entry/", {"q": "玩家2"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "玩家2" in text and "玩家1" not in text
    assert Entry.objects.count() == 3


@pytest.mark.parametrize(
    "path",
    ["round", "entry", "checkin", "settlement", "standing", "subscribecredit", "reminder", "challenge"],
)
def test_every_admin_list_opens(operator_client, played, path):
    assert operator_client.get(f"/admin/checkin/{path}/").status_code == 200


def test_round_change_page_is_read_only(operator_client, played):
    _, _, round_ = played
    response = operator_client.get(f"/admin/checkin/round/{round_.pk}/change/")
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
