import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyOffer
from core.jobs import all_jobs
from mall.models import Order
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from points.services.ledger import account_escrow
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory, give_points
from tests.conftest import client_for
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def rich_client(points=100):
    user = UserFactory()
    give_points(user, points)
    return user, client_for(user)


@pytest.fixture
def demo_offer():
    from campaigns.demo import seed_groupbuy
    from mall.demo import seed_mall

    seed_mall()
    seed_groupbuy()
    seed_groupbuy()  # idempotent
    assert GroupBuyOffer.objects.count() == 1
    return GroupBuyOffer.objects.get(product__name="洗牙体验券")


def test_offers_list(demo_offer, user_client):
    response = user_client.get("/api/groupbuys/offers")
    assert response.status_code == 200
    (offer,) = response.json()
    assert offer["id"] == demo_offer.pk
    assert offer["product"]["name"] == "洗牙体验券"
    assert (offer["group_size"], offer["price"], offer["expires_in_hours"]) == (3, 30, 24)


def test_inactive_offers_are_hidden(user_client):
    GroupBuyOfferFactory(is_active=False)
    assert user_client.get("/api/groupbuys/offers").json() == []


def test_three_users_fill_a_group_over_http_and_a_fourth_is_refused(demo_offer):
    (leader, leader_client), (b, b_client), (c, c_client), (d, d_client) = [rich_client() for _ in range(4)]
    response = leader_client.post(f"/api/groupbuys/offers/{demo_offer.pk}/open")
    assert response.status_code == 201, response.content
    body = response.json()
    group_id = body["id"]
    assert body["status"] == "open" and body["members"] == [leader.nickname] and body["group_size"] == 3
    assert body["scene"] == f"g={group_id}"

    assert b_client.post(f"/api/groupbuys/groups/{group_id}/join").status_code == 200
    response = c_client.post(f"/api/groupbuys/groups/{group_id}/join")
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert response.json()["members"] == [leader.nickname, b.nickname, c.nickname]

    response = d_client.post(f"/api/groupbuys/groups/{group_id}/join")
    assert response.status_code == 409 and response.json()["code"] == "group_full"
    response = b_client.post(f"/api/groupbuys/groups/{group_id}/join")
    assert response.status_code == 409 and response.json()["code"] == "already_member"

    for user in (leader, b, c):
        assert Order.objects.get(user=user).status == Order.Status.FULFILLED
        assert wallet_balance(user=user) == 70
    assert not Order.objects.filter(user=d).exists() and wallet_balance(user=d) == 100
    detail = d_client.get(f"/api/groupbuys/groups/{group_id}").json()
    assert detail["status"] == "succeeded" and len(detail["members"]) == 3
    assert set(detail) == {"id", "status", "members", "group_size", "expires_at", "scene"}
    assert ledger_audit().ok


def test_unfilled_group_refunded_once_by_run_nightly(demo_offer):
    leader, leader_client = rich_client()
    friend, friend_client = rich_client()
    group_id = leader_client.post(f"/api/groupbuys/offers/{demo_offer.pk}/open").json()["id"]
    friend_client.post(f"/api/groupbuys/groups/{group_id}/join")
    group = GroupBuyGroup.objects.get(pk=group_id)
    with time_machine.travel(group.expires_at + dt.timedelta(minutes=10)):
        response = client_for(UserFactory()).post(f"/api/groupbuys/groups/{group_id}/join")
        assert response.status_code == 409 and response.json()["code"] == "group_closed"
        call_command("run_nightly")
        call_command("run_nightly")
    assert GroupBuyGroup.objects.get(pk=group_id).status == GroupBuyGroup.Status.FAILED
    assert Transaction.objects.filter(kind=Transaction.Kind.REFUND).count() == 2
    assert wallet_balance(user=leader) == wallet_balance(user=friend) == 100
    assert account_escrow(group_id).balance == 0
    assert ledger_audit().ok


def test_errors_over_http(user_client):
    offer = GroupBuyOfferFactory()
    response = user_client.post(f"/api/groupbuys/offers/{offer.pk}/open")
    assert response.status_code == 400 and response.json()["code"] == "insufficient_points"
    assert user_client.post("/api/groupbuys/offers/999999/open").status_code == 404
    assert user_client.get("/api/groupbuys/groups/999999").json()["code"] == "not_found"
    assert user_client.post("/api/groupbuys/groups/999999/join").status_code == 404


def test_anonymous_is_refused(api_client):
    assert api_client.get("/api/groupbuys/offers").status_code == 401


def test_sweep_jobs_are_registered():
    jobs = {job.name: job for job in all_jobs()}
    assert jobs["groups_expire_due"].crontab == "*/5 * * * *" and not jobs["groups_expire_due"].nightly
    assert jobs["groups_expire_due_nightly"].nightly


def test_admin_pages_and_refund_action():
    staff = StaffFactory(is_superuser=True)
    offer = GroupBuyOfferFactory()
    leader = UserFactory()
    give_points(leader, 100)
    from campaigns.groupbuy.services import groupbuy_group_open

    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    from django.test import Client

    client = Client()
    client.force_login(staff)
    for url in (
        "/admin/campaigns/groupbuyoffer/",
        f"/admin/campaigns/groupbuyoffer/{offer.pk}/change/",
        "/admin/campaigns/groupbuygroup/?status=open",
        f"/admin/campaigns/groupbuygroup/{group.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        "/admin/campaigns/groupbuygroup/", {"action": "refund_groups", "_selected_action": [group.pk]}, follow=True
    )
    assert response.status_code == 200
    assert GroupBuyGroup.objects.get(pk=group.pk).status == GroupBuyGroup.Status.FAILED
    assert wallet_balance(user=leader) == 100
