import datetime as dt

import pytest
import time_machine

from campaigns.assist.models import AssistCampaign, AssistTask
from core.clock import now
from mall.models import Order
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.campaigns.assist.factories import BargainCampaignFactory, give_points
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def old_user():
    return UserFactory(date_joined=now() - dt.timedelta(days=3))


@pytest.fixture
def demo_campaign():
    from campaigns.demo import seed_assist
    from mall.demo import seed_mall

    seed_mall()
    seed_assist()
    seed_assist()  # idempotent
    assert AssistCampaign.objects.count() == 1
    return AssistCampaign.objects.get(title="助力领护理套装")


def test_campaigns_list_shows_the_demo_campaign(demo_campaign, user_client):
    response = user_client.get("/api/assists/campaigns")
    assert response.status_code == 200
    (campaign,) = response.json()
    assert (campaign["id"], campaign["title"], campaign["kind"]) == (demo_campaign.pk, "助力领护理套装", "assist")
    assert (campaign["required"], campaign["expires_in_hours"]) == (3, 48)
    assert campaign["reward"]["kind"] == "product" and campaign["reward"]["product"]["name"] == "口腔护理套装"


def test_three_friends_complete_the_demo_assist_over_http(demo_campaign):
    starter = old_user()
    starter_client = client_for(starter)
    started = starter_client.post(f"/api/assists/campaigns/{demo_campaign.pk}/start")
    assert started.status_code == 201, started.json()
    task = started.json()
    assert (task["status"], task["required"], task["helpers"], task["mine"]) == ("open", 3, [], True)
    assert task["scene"] == f"a={task['id']}"
    again = starter_client.post(f"/api/assists/campaigns/{demo_campaign.pk}/start")
    assert again.status_code == 200 and again.json()["id"] == task["id"]

    self_help = starter_client.post(f"/api/assists/tasks/{task['id']}/help")
    assert self_help.status_code == 409 and self_help.json()["code"] == "cannot_help_self"

    friends = [old_user() for _ in range(3)]
    first = client_for(friends[0])
    helped = first.post(f"/api/assists/tasks/{task['id']}/help")
    assert helped.status_code == 200 and helped.json()["progress"] == 1 and helped.json()["helped"] is True
    repeat = first.post(f"/api/assists/tasks/{task['id']}/help")
    assert repeat.status_code == 409 and repeat.json()["code"] == "already_helped"
    for friend in friends[1:]:
        assert client_for(friend).post(f"/api/assists/tasks/{task['id']}/help").status_code == 200

    done = starter_client.get(f"/api/assists/tasks/{task['id']}").json()
    assert done["status"] == "completed" and done["progress"] == 3
    assert done["helpers"] == [f.nickname for f in friends]
    coupons = starter_client.get("/api/mall/coupons").json()["results"]
    assert [(c["product"], c["status"], c["order"]) for c in coupons] == [("口腔护理套装", "unused", done["order"])]
    assert Order.objects.get(pk=done["order"]).status == Order.Status.FULFILLED

    late = client_for(old_user()).post(f"/api/assists/tasks/{task['id']}/help")
    assert late.status_code == 409 and late.json()["code"] == "task_closed"
    assert ledger_audit().ok


def test_a_task_page_shows_strangers_no_private_fields(demo_campaign):
    starter = old_user()
    task = client_for(starter).post(f"/api/assists/campaigns/{demo_campaign.pk}/start").json()
    seen = client_for(old_user()).get(f"/api/assists/tasks/{task['id']}").json()
    assert seen["mine"] is False and seen["order"] is None
    body = str(seen)
    assert starter.openid not in body and "phone" not in body


def test_my_tasks_are_listed_newest_first(demo_campaign):
    starter = old_user()
    client = client_for(starter)
    task = client.post(f"/api/assists/campaigns/{demo_campaign.pk}/start").json()
    client_for(old_user()).post(f"/api/assists/campaigns/{demo_campaign.pk}/start")  # someone else's
    listed = client.get("/api/assists/tasks").json()
    assert listed["count"] == 1 and [t["id"] for t in listed["results"]] == [task["id"]]


def test_unknown_ids_and_anonymous_calls_are_refused(demo_campaign, api_client, user_client):
    assert user_client.post("/api/assists/campaigns/999999/start").json()["code"] == "not_found"
    assert user_client.post("/api/assists/tasks/999999/help").status_code == 404
    assert user_client.get("/api/assists/tasks/999999").status_code == 404
    assert api_client.post(f"/api/assists/campaigns/{demo_campaign.pk}/start").status_code == 401


def test_an_expired_task_refuses_help_over_http(demo_campaign):
    starter = old_user()
    task = client_for(starter).post(f"/api/assists/campaigns/{demo_campaign.pk}/start").json()
    with time_machine.travel(now() + dt.timedelta(hours=49)):
        response = client_for(old_user()).post(f"/api/assists/tasks/{task['id']}/help")
    assert response.status_code == 409 and response.json()["code"] == "task_closed"


def test_bargain_over_http_redeems_at_the_reduced_price():
    campaign = BargainCampaignFactory()
    starter = old_user()
    give_points(starter, 300)
    client = client_for(starter)
    task = client.post(f"/api/assists/campaigns/{campaign.pk}/start").json()
    assert (task["kind"], task["start_price"], task["current_price"], task["floor_price"]) == ("bargain", 200, 200, 20)
    after = client_for(old_user()).post(f"/api/assists/tasks/{task['id']}/help").json()
    assert 20 <= after["current_price"] < 200

    bad = client.post(f"/api/assists/tasks/{task['id']}/redeem", {"store": "1"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert wallet_balance(user=starter) == 300

    other = client_for(old_user()).post(f"/api/assists/tasks/{task['id']}/redeem", {}, format="json")
    assert other.status_code == 404

    redeemed = client.post(f"/api/assists/tasks/{task['id']}/redeem", {}, format="json")
    assert redeemed.status_code == 201, redeemed.json()
    assert redeemed.json()["points"] == after["current_price"]
    assert wallet_balance(user=starter) == 300 - after["current_price"]
    replay = client.post(f"/api/assists/tasks/{task['id']}/redeem", {}, format="json")
    assert replay.status_code == 200 and replay.json()["id"] == redeemed.json()["id"]
    assert AssistTask.objects.get(pk=task["id"]).status == AssistTask.Status.REDEEMED
    assert ledger_audit().ok
