import datetime as dt

import pytest

from campaigns.redpacket.models import RedPacketCampaign
from core.clock import now
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from referral.models import Referral
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def old_user():
    return UserFactory(date_joined=now() - dt.timedelta(days=3))


@pytest.fixture
def demo_campaign():
    from campaigns.demo import seed_redpacket

    seed_redpacket()
    seed_redpacket()  # idempotent
    assert RedPacketCampaign.objects.count() == 1
    return RedPacketCampaign.objects.get(title="拆红包 拼手气")


def test_campaigns_list_shows_the_demo_campaign(demo_campaign, user_client):
    response = user_client.get("/api/redpackets/campaigns")
    assert response.status_code == 200
    (campaign,) = response.json()
    assert campaign == {
        "id": demo_campaign.pk,
        "title": "拆红包 拼手气",
        "amount": 50,
        "needed": 3,
        "pool": 30,
        "new_user_bonus": 10,
        "expires_in_hours": 24,
    }


def test_three_friends_open_the_demo_packet_over_http(demo_campaign):
    starter = old_user()
    starter_client = client_for(starter)
    started = starter_client.post(f"/api/redpackets/campaigns/{demo_campaign.pk}/start")
    assert started.status_code == 201, started.json()
    packet = started.json()
    assert (packet["status"], packet["needed"], packet["helpers"], packet["mine"]) == ("open", 3, [], True)
    assert packet["scene"] == f"p={packet['id']}"
    assert packet["share_url"].endswith(f"?p={packet['id']}") and "/r/" in packet["share_url"]
    assert packet["expires_at"]
    again = starter_client.post(f"/api/redpackets/campaigns/{demo_campaign.pk}/start")
    assert again.status_code == 200 and again.json()["id"] == packet["id"]

    own = starter_client.post(f"/api/redpackets/{packet['id']}/open")
    assert own.status_code == 409 and own.json()["code"] == "cannot_open_own"

    friends = [old_user(), old_user(), UserFactory()]  # the last one is new: bonus and binding
    first = client_for(friends[0])
    opened = first.post(f"/api/redpackets/{packet['id']}/open")
    assert opened.status_code == 200, opened.json()
    body = opened.json()
    assert body["amount"] >= 1 and body["bonus"] == 0 and body["points"] == wallet_balance(user=friends[0])
    assert body["packet"]["opened"] is True and body["packet"]["mine"] is False
    repeat = first.post(f"/api/redpackets/{packet['id']}/open")
    assert repeat.status_code == 409 and repeat.json()["code"] == "already_opened"
    amounts = [body["amount"]]
    for friend in friends[1:]:
        answer = client_for(friend).post(f"/api/redpackets/{packet['id']}/open")
        assert answer.status_code == 200, answer.json()
        amounts.append(answer.json()["amount"])
    assert answer.json()["bonus"] == 10

    done = starter_client.get(f"/api/redpackets/{packet['id']}").json()
    assert done["status"] == "paid"
    assert [(h["nickname"], h["amount"]) for h in done["helpers"]] == [
        (f.nickname, a) for f, a in zip(friends, amounts, strict=True)
    ]
    assert sum(h["amount"] for h in done["helpers"]) == 30
    assert sum(h["luckiest"] for h in done["helpers"]) == 1
    assert wallet_balance(user=starter) == 50
    assert Referral.objects.get(invitee=friends[2]).inviter_id == starter.pk

    late = client_for(old_user()).post(f"/api/redpackets/{packet['id']}/open")
    assert late.status_code == 409 and late.json()["code"] == "packet_closed"
    history = starter_client.get("/api/points/history").json()["results"]
    assert [(e["amount"], e["kind"]) for e in history] == [(50, "redpacket_paid")]
    assert ledger_audit().ok


def test_a_stranger_sees_the_packet_page_without_private_fields(demo_campaign):
    starter = old_user()
    packet = client_for(starter).post(f"/api/redpackets/campaigns/{demo_campaign.pk}/start").json()
    client_for(old_user()).post(f"/api/redpackets/{packet['id']}/open")
    page = client_for(old_user()).get(f"/api/redpackets/{packet['id']}")
    assert page.status_code == 200
    body = page.json()
    assert body["mine"] is False and body["opened"] is False and body["status"] == "open"
    (helper,) = body["helpers"]
    assert set(helper) == {"nickname", "avatar_url", "amount", "bonus", "luckiest"}
    assert helper["luckiest"] is False  # named once the packet is filled


def test_the_helpers_list_shows_each_friends_name_and_face_as_their_profile_does(demo_campaign):
    """The list is read as plain rows (no user instance per friend): an uploaded avatar still wins
    over the WeChat one, as User.display_avatar_url has it, in the order the friends opened."""
    from django.core.files.base import ContentFile

    starter = old_user()
    packet = client_for(starter).post(f"/api/redpackets/campaigns/{demo_campaign.pk}/start").json()
    uploaded = old_user()
    uploaded.nickname, uploaded.avatar_url = "小林", "https://wx.example/a.png"
    uploaded.avatar.save("face.png", ContentFile(b"png"), save=False)
    uploaded.save()
    wechat = old_user()
    wechat.nickname, wechat.avatar_url = "阿青", "https://wx.example/b.png"
    wechat.save()
    for friend in (uploaded, wechat):
        opened = client_for(friend).post(f"/api/redpackets/{packet['id']}/open")
        assert opened.status_code == 200

    helpers = opened.json()["packet"]["helpers"]
    assert [(h["nickname"], h["avatar_url"]) for h in helpers] == [
        ("小林", "http://testserver" + uploaded.display_avatar_url),  # made absolute, as every URL
        ("阿青", "https://wx.example/b.png"),
    ]
    assert uploaded.display_avatar_url.endswith(".png") and "wx.example" not in uploaded.display_avatar_url
    assert client_for(starter).get(f"/api/redpackets/{packet['id']}").json()["helpers"] == helpers


def test_unknown_packets_and_campaigns_are_not_found(demo_campaign, user_client):
    assert user_client.get("/api/redpackets/999999").json()["code"] == "not_found"
    assert user_client.post("/api/redpackets/999999/open").status_code == 404
    assert user_client.post("/api/redpackets/campaigns/999999/start").status_code == 404


def test_the_endpoints_need_a_token(demo_campaign, api_client):
    assert api_client.get("/api/redpackets/campaigns").status_code == 401
