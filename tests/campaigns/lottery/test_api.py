"""The lottery over HTTP, with the demo data."""

import pytest

from campaigns.lottery.models import Lottery, LotteryDraw, LotteryPrize
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.campaigns.lottery.factories import LotteryFactory, PrizeFactory, give_points, nothing
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_lottery():
    from campaigns.lottery.demo import seed_lottery

    seed_lottery()
    seed_lottery()  # idempotent
    assert Lottery.objects.count() == 1
    return Lottery.objects.get(title="幸运大转盘")


def test_the_list_publishes_the_demo_odds_and_my_draws_left(demo_lottery, user_client):
    response = user_client.get("/api/lotteries")
    assert response.status_code == 200
    (lottery,) = response.json()
    assert (lottery["id"], lottery["title"], lottery["kind"], lottery["cost"]) == (
        demo_lottery.pk,
        "幸运大转盘",
        "wheel",
        10,
    )
    assert (lottery["draws_left_today"], lottery["free_draws_left_today"]) == (5, 1)
    assert [p["name"] for p in lottery["prizes"]] == ["5 积分", "20 积分", "100 积分", "抽奖专享·牙线套装", "谢谢参与"]
    assert [p["probability"] for p in lottery["prizes"]] == [0.4, 0.15, 0.02, 0.03, 0.4]
    assert {p["kind"] for p in lottery["prizes"]} == {"points", "product", "none"}


def test_draw_over_http_with_the_demo_data_then_pay_repeat_and_list(demo_lottery):
    user = UserFactory()
    give_points(user, 25)
    client = client_for(user)

    # The free draw
    first = client.post(f"/api/lotteries/{demo_lottery.pk}/draw")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert set(body) >= {"id", "prize", "points", "coupon"}
    assert body["prize"] is None or set(body["prize"]) == {"id", "name", "kind"}
    assert body["points"] == wallet_balance(user=user) and body["cost"] == 0
    if body["prize"] and body["prize"]["kind"] == "product":
        assert body["coupon"]["code"]

    # A paid draw, sent twice with the same key
    paid = client.post(f"/api/lotteries/{demo_lottery.pk}/draw", HTTP_IDEMPOTENCY_KEY="tap-42")
    again = client.post(f"/api/lotteries/{demo_lottery.pk}/draw", HTTP_IDEMPOTENCY_KEY="tap-42")
    assert (paid.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == paid.json()["id"] and paid.json()["cost"] == 10
    assert LotteryDraw.objects.filter(user=user).count() == 2

    listed = client.get(f"/api/lotteries/{demo_lottery.pk}/draws")
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["results"]] == [paid.json()["id"], body["id"]]
    left = client.get("/api/lotteries").json()[0]
    assert (left["draws_left_today"], left["free_draws_left_today"]) == (3, 0)
    assert ledger_audit().ok


def test_the_error_answers():
    user = UserFactory()
    client = client_for(user)
    paid = LotteryFactory(cost=10, free_draws_per_day=0, daily_limit=1)
    nothing(paid)
    assert client.post(f"/api/lotteries/{paid.pk}/draw").json()["code"] == "insufficient_points"

    give_points(user, 10)
    assert client.post(f"/api/lotteries/{paid.pk}/draw").status_code == 201
    refused = client.post(f"/api/lotteries/{paid.pk}/draw")
    assert (refused.status_code, refused.json()["code"]) == (409, "no_draws_left")

    closed = LotteryFactory(starts_at="2099-01-01T00:00:00Z")
    refused = client.post(f"/api/lotteries/{closed.pk}/draw")
    assert (refused.status_code, refused.json()["code"]) == (409, "lottery_closed")
    assert client.post("/api/lotteries/999999/draw").status_code == 404
    assert client.get("/api/lotteries/999999/draws").status_code == 404


def test_the_list_shows_thanks_for_taking_part_for_a_prize_out_of_stock(user_client):
    lottery = LotteryFactory()
    gone = PrizeFactory(lottery=lottery, weight=1, stock=0)
    PrizeFactory(lottery=lottery, weight=3)
    (listed,) = user_client.get("/api/lotteries", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert listed["prizes"][0] == {"id": gone.pk, "name": gone.name, "kind": "points", "probability": 0.0}
    assert listed["prizes"][-1]["id"] is None and listed["prizes"][-1]["probability"] == 0.25
    assert listed["prizes"][-1]["kind"] == LotteryPrize.Kind.NONE


def test_a_product_prize_answers_its_voucher_in_the_draw_and_in_my_draws():
    from tests.campaigns.lottery.factories import ProductFactory

    lottery = LotteryFactory(cost=0)
    product = ProductFactory(kind="voucher", stock=3)
    prize = PrizeFactory(lottery=lottery, kind=LotteryPrize.Kind.PRODUCT, product=product, points=0)
    client = client_for(UserFactory())

    drawn = client.post(f"/api/lotteries/{lottery.pk}/draw").json()
    assert drawn["prize"] == {"id": prize.pk, "name": prize.name, "kind": "product"}
    assert drawn["coupon"]["code"] and drawn["coupon"]["product_id"] == product.pk and drawn["points"] == 0
    (listed,) = client.get(f"/api/lotteries/{lottery.pk}/draws").json()["results"]
    assert listed["coupon"]["code"] == drawn["coupon"]["code"]
