import pytest
from django.core.cache import cache
from django.urls import reverse

from core.models import Slot, SlotItem
from core.slots import slot_save
from mall.models import Coupon, Order, Product
from points.selectors import wallet_balance
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, give_points

pytestmark = pytest.mark.django_db


def redeem(client, product_id, key=None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(reverse("mall-redemptions"), {"product": product_id, **body}, format="json", **headers)


def test_products_list_filters(user, user_client):
    give_points(user, 100)
    cheap = ProductFactory(price=50, category="体验", stock=None)
    ProductFactory(price=2000, category="实物", kind=Product.Kind.PHYSICAL)
    ProductFactory(price=1, is_active=False)
    body = user_client.get(reverse("mall-products")).json()
    assert [p["price"] for p in body["results"]] == [50, 2000]
    assert body["results"][0]["stock"] is None
    assert set(body["results"][0]) >= {"id", "name", "kind", "price", "stock", "image_url"}
    affordable = user_client.get(reverse("mall-products"), {"affordable": "true"}).json()["results"]
    assert [p["id"] for p in affordable] == [cheap.pk]
    by_category = user_client.get(reverse("mall-products"), {"category": "实物"}).json()["results"]
    assert [p["price"] for p in by_category] == [2000]


def test_redeem_then_list_orders_and_coupons(user, user_client):
    give_points(user, 100)
    product = ProductFactory(price=80, stock=5)
    response = redeem(user_client, product.pk)
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["status"] == "fulfilled" and order["points"] == 80
    assert order["coupon"]["code"] and order["coupon"]["qr"].startswith("data:image/png;base64,")
    assert user_client.get(reverse("mall-redemptions")).json()["results"][0]["id"] == order["id"]
    coupons = user_client.get(reverse("mall-coupons")).json()["results"]
    assert [(c["code"], c["product"], c["status"]) for c in coupons] == [
        (order["coupon"]["code"], product.name, "unused")
    ]


@pytest.mark.parametrize("path", ["statements", "order_place"])
def test_the_answer_is_the_order_as_placed_with_no_read_after_commit(user, user_client, path, monkeypatch):
    """The order, its product and its vouchers come back from the redemption itself: nothing is
    read again after the commit, and the answer is what a later read of the order shows, whether
    PostgreSQL's few statements placed it (docs/mall.md) or `order_place` did."""
    from mall.services import redemptions
    from points.services.ledger import account_sink

    if path == "order_place":
        monkeypatch.setattr(redemptions, "on_postgresql", lambda model: False)
    account_sink(shard_of=user.pk)
    import base64
    import io

    import zxingcpp
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from PIL import Image

    give_points(user, 100)
    product = ProductFactory(price=30, stock=5)
    with CaptureQueriesContext(connection) as queries:
        response = user_client.post(reverse("mall-redemptions"), {"product": product.pk, "quantity": 2}, format="json")
    assert response.status_code == 201, response.json()
    sql = [q["sql"] for q in queries.captured_queries]
    # The test's own transaction makes the redemption's a savepoint: its release is the commit.
    committed = max(i for i, statement in enumerate(sql) if statement.startswith("RELEASE SAVEPOINT"))
    assert sql[committed + 1 :] == []
    placed = response.json()
    again = user_client.get(reverse("mall-redemption", args=[placed["id"]])).json()
    assert placed == again
    assert len(placed["coupons"]) == 2 and placed["coupon"] == placed["coupons"][0]
    png = base64.b64decode(placed["coupon"]["qr"].split(",", 1)[1])
    assert zxingcpp.read_barcode(Image.open(io.BytesIO(png))).text == placed["coupon"]["code"]


def test_idempotency_key_header_returns_same_order(user, user_client):
    give_points(user, 100)
    product = ProductFactory(price=10, stock=None)
    first = redeem(user_client, product.pk, key="abc")
    again = redeem(user_client, product.pk, key="abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert wallet_balance(user=user) == 90


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ({"stock": 0}, 409, "out_of_stock"),
        ({"price": 1000}, 400, "insufficient_points"),
        ({"is_active": False}, 409, "not_on_sale"),
        ({"kind": Product.Kind.PHYSICAL}, 400, "invalid"),
    ],
)
def test_error_codes_over_http(user, user_client, setup, status, code):
    give_points(user, 100)
    product = ProductFactory(**{"price": 10, "stock": 5, **setup})
    response = redeem(user_client, product.pk)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_limit_and_level_over_http(user, user_client):
    from tests.points.factories import LevelFactory

    give_points(user, 100)
    limited = ProductFactory(price=10, per_user_limit=1)
    assert redeem(user_client, limited.pk).status_code == 201
    response = redeem(user_client, limited.pk)
    assert (response.status_code, response.json()["code"]) == (409, "limit_reached")
    gated = ProductFactory(price=10, level_required=LevelFactory(threshold=500))
    response = redeem(user_client, gated.pk)
    assert (response.status_code, response.json()["code"]) == (403, "level_too_low")


@pytest.mark.parametrize(
    "body", [{"product": "5"}, {"product": 1, "quantity": 0}, {"product": 1, "address": 5}, {}, {"product": True}]
)
def test_bad_input_is_400(user_client, body):
    response = user_client.post(reverse("mall-redemptions"), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"]


def test_cancel_over_http_refunds(user, user_client):
    give_points(user, 100)
    product = ProductFactory(price=80, stock=5)
    order_id = redeem(user_client, product.pk).json()["id"]
    response = user_client.post(reverse("mall-redemption-cancel", args=[order_id]))
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert wallet_balance(user=user) == 100
    product.refresh_from_db()
    assert product.stock == 5
    other = client_for(UserFactory())
    assert other.post(reverse("mall-redemption-cancel", args=[order_id])).status_code == 404


def test_staff_verify_endpoint(user, user_client, store_staff):
    give_points(user, 100)
    order = redeem(user_client, ProductFactory(price=10).pk).json()
    code = order["coupon"]["code"]
    url = reverse("staff-coupon-verify")
    customer = user_client.post(url, {"code": code}, format="json")
    assert (customer.status_code, customer.json()["code"]) == (403, "permission_denied")
    staff = client_for(store_staff)
    first = staff.post(url, {"code": code}, format="json")
    assert first.status_code == 200 and first.json()["status"] == "used"
    second = staff.post(url, {"code": code}, format="json")
    assert (second.status_code, second.json()["code"]) == (409, "already_used")
    assert Coupon.objects.get(code=code).verified_by == store_staff
    assert Order.objects.get(pk=order["id"]).status == Order.Status.COMPLETED


def test_anonymous_cannot_redeem(api_client):
    assert api_client.get(reverse("mall-products")).status_code == 401


def test_slot_is_public_ordered_and_cached(api_client, django_assert_num_queries):
    slot = Slot.objects.create(key="home_banner")
    SlotItem.objects.create(slot=slot, title="二", sort_order=2, link_type="url", target="https://example.com")
    SlotItem.objects.create(slot=slot, title="一", sort_order=1, link_type="product", target="7")
    SlotItem.objects.create(slot=slot, title="停", sort_order=0, is_active=False)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")  # a stale token does not matter
    url = reverse("slot", args=["home_banner"])
    body = api_client.get(url).json()
    assert [(i["title"], i["link_type"], i["target"]) for i in body["items"]] == [
        ("一", "product", "7"),
        ("二", "url", "https://example.com"),
    ]
    with django_assert_num_queries(0):
        assert api_client.get(url).status_code == 200
    # saving through the service drops the cache
    SlotItem.objects.filter(title="二").update(title="新")
    assert [i["title"] for i in api_client.get(url).json()["items"]] == ["一", "二"]
    slot_save(slot=slot)
    assert [i["title"] for i in api_client.get(url).json()["items"]] == ["一", "新"]
    assert api_client.get(reverse("slot", args=["nope"])).status_code == 404
    cache.clear()


def test_slot_item_window(api_client):
    import datetime as dt

    import time_machine

    slot = Slot.objects.create(key="mall_top")
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    SlotItem.objects.create(slot=slot, title="限时", starts_at=start, ends_at=start + dt.timedelta(days=1))
    url = reverse("slot", args=["mall_top"])
    with time_machine.travel(start - dt.timedelta(hours=1), tick=False):
        assert api_client.get(url).json()["items"] == []
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        assert [i["title"] for i in api_client.get(url).json()["items"]] == ["限时"]
