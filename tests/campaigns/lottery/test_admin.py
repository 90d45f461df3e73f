import pytest
from django.test import Client

from campaigns.lottery.models import Lottery
from campaigns.lottery.services import lottery_draw
from tests.campaigns.lottery.factories import LotteryFactory, PrizeFactory, ProductFactory, nothing
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_a_draw_shows_the_odds_and_stock_it_was_decided_with(staff_client):
    lottery = LotteryFactory(cost=0)
    PrizeFactory(lottery=lottery, name="一百积分", points=100, weight=1, stock=0)
    nothing(lottery, weight=3)
    draw, _ = lottery_draw(user=UserFactory(), lottery_id=lottery.pk)

    page = staff_client.get(f"/admin/campaigns/lotterydraw/{draw.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "一百积分" in html and "0.0000%" in html and "100.0000%" in html
    assert staff_client.get("/admin/campaigns/lotterydraw/").status_code == 200
    assert staff_client.get("/admin/campaigns/lotterydraw/add/").status_code == 403


def test_operators_configure_a_lottery_with_its_prizes_and_see_the_odds(staff_client):
    product = ProductFactory(kind="physical")
    form = {
        "title": "九宫格抽奖",
        "kind": "grid",
        "cost": "5",
        "free_draws_per_day": "1",
        "extra_draws_per_signin": "1",
        "extra_draws_per_task": "0",
        "extra_draws_per_invite": "0",
        "daily_limit": "3",
        "is_active": "on",
        "sort_order": "0",
        "prizes-TOTAL_FORMS": "2",
        "prizes-INITIAL_FORMS": "0",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "1000",
        "prizes-0-sort_order": "0",
        "prizes-0-name": "10 积分",
        "prizes-0-kind": "points",
        "prizes-0-points": "10",
        "prizes-0-weight": "1",
        "prizes-1-sort_order": "1",
        "prizes-1-name": "实物",
        "prizes-1-kind": "product",
        "prizes-1-points": "0",
        "prizes-1-product": str(product.pk),
        "prizes-1-weight": "1",
    }
    refused = staff_client.post("/admin/campaigns/lottery/add/", form, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 200 and not Lottery.objects.exists()

    form["prizes-1-kind"] = "none"
    form["prizes-1-product"] = ""
    response = staff_client.post("/admin/campaigns/lottery/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    lottery = Lottery.objects.get()
    assert lottery.prizes.count() == 2
    page = staff_client.get(f"/admin/campaigns/lottery/{lottery.pk}/change/")
    assert page.status_code == 200 and "50.0000%" in page.content.decode()
