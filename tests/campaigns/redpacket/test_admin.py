import datetime as dt

import pytest
from django.test import Client

from campaigns.redpacket.models import RedPacket, RedPacketCampaign
from campaigns.redpacket.services import redpacket_open, redpacket_start
from core.clock import now
from tests.campaigns.redpacket.factories import RedPacketCampaignFactory
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


def campaign_form(**overrides):
    form = {
        "title": "拆红包",
        "amount": "50",
        "helpers_needed": "3",
        "pool": "30",
        "new_user_bonus": "10",
        "time_limit_hours": "24",
        "opens_per_day": "5",
        "packets_per_user": "0",
        "is_active": "on",
        "sort_order": "0",
    }
    return {**form, **overrides}


def test_an_operator_creates_a_campaign(staff_client):
    response = staff_client.post("/admin/campaigns/redpacketcampaign/add/", campaign_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RedPacketCampaign.objects.get().pool == 30


def test_a_pool_too_small_for_its_helpers_is_refused_on_the_field(staff_client):
    response = staff_client.post("/admin/campaigns/redpacketcampaign/add/", campaign_form(pool="2"))
    assert response.status_code == 200
    assert "pool" in response.context["adminform"].form.errors
    assert not RedPacketCampaign.objects.exists()


def test_packets_list_and_page_show_the_opens_and_the_close_action_works(staff_client):
    campaign = RedPacketCampaignFactory(helpers_needed=3)
    starter = UserFactory(date_joined=now() - dt.timedelta(days=3))
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    redpacket_open(helper=UserFactory(date_joined=now() - dt.timedelta(days=3)), packet_id=packet.pk)

    assert staff_client.get("/admin/campaigns/redpacket/").status_code == 200
    page = staff_client.get(f"/admin/campaigns/redpacket/{packet.pk}/change/")
    assert page.status_code == 200
    response = staff_client.post(
        "/admin/campaigns/redpacket/", {"action": "expire_packets", "_selected_action": [packet.pk]}
    )
    assert response.status_code == 302
    packet.refresh_from_db()
    assert packet.status == RedPacket.Status.EXPIRED
