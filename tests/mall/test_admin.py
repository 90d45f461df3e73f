import pytest
from django.core.cache import cache
from django.urls import reverse

from core.models import Slot, SlotItem
from mall.demo import seed_mall
from mall.models import Coupon, Order, Product, StockLog, Store
from mall.services import redemption_create
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, give_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def order_for_new_user(product, **kwargs):
    user = UserFactory()
    give_points(user, 5000)
    return redemption_create(user=user, product_id=product.pk, **kwargs)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/mall/product/",
        "/admin/mall/product/add/",
        "/admin/mall/order/",
        "/admin/mall/coupon/",
        "/admin/mall/stocklog/",
        "/admin/mall/store/",
        "/admin/core/slot/",
        "/admin/core/slot/add/",
        "/admin/mall/product/?stock_level=low",
        "/admin/mall/order/?status__exact=created",
    ],
)
def test_operator_pages_load(operator_client, url):
    seed_mall()
    product = Product.objects.get(name="洗牙体验券")
    order_for_new_user(product)
    assert operator_client.get(url).status_code == 200


def test_operator_edits_product_and_slot_pages(operator_client):
    seed_mall()
    product = Product.objects.get(name="电动牙刷")
    order_for_new_user(product, address="addr")
    slot = Slot.objects.get(key="home_banner")
    for url in (
        reverse("admin:mall_product_change", args=[product.pk]),
        reverse("admin:mall_order_change", args=[Order.objects.get().pk]),
        reverse("admin:core_slot_change", args=[slot.pk]),
    ):
        assert operator_client.get(url).status_code == 200


def test_low_stock_filter(operator_client):
    # Names that no admin label uses ("不限" is also the filter's own "unlimited" choice).
    ProductFactory(name="库存告急牙刷", stock=2, low_stock_threshold=5)
    ProductFactory(name="库存充足牙膏", stock=50, low_stock_threshold=5)
    ProductFactory(name="无限量体验券", stock=None)
    body = operator_client.get("/admin/mall/product/?stock_level=low").content.decode()
    assert "库存告急牙刷" in body and "库存充足牙膏" not in body and "无限量体验券" not in body


def test_stock_edit_is_logged(operator_client, operator):
    product = ProductFactory(name="牙线", stock=5, price=10, kind=Product.Kind.VOUCHER)
    url = reverse("admin:mall_product_change", args=[product.pk])
    form = {
        "name": "牙线",
        "description": "",
        "image_url": "",
        "category": "",
        "kind": "voucher",
        "price": "10",
        "stock": "12",
        "low_stock_threshold": "5",
        "per_user_limit": "0",
        "voucher_valid_days": "30",
        "is_active": "on",
        "sort_order": "0",
        "stock_logs-TOTAL_FORMS": "0",
        "stock_logs-INITIAL_FORMS": "0",
    }
    response = operator_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    product.refresh_from_db()
    assert product.stock == 12
    log = StockLog.objects.get(product=product)
    assert (log.before, log.after, log.change, log.actor) == (5, 12, 7, operator)


def test_fulfil_and_cancel_actions(operator_client):
    product = ProductFactory(kind=Product.Kind.PHYSICAL, price=100, stock=3)
    first, second = order_for_new_user(product, address="a"), order_for_new_user(product, address="b")
    changelist = reverse("admin:mall_order_changelist")
    operator_client.post(changelist, {"action": "fulfil_orders", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.status == Order.Status.FULFILLED
    operator_client.post(changelist, {"action": "cancel_orders", "_selected_action": [first.pk, second.pk]})
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CANCELLED}
    product.refresh_from_db()
    assert product.stock == 3
    assert wallet_balance(user=first.user) == 5000 and wallet_balance(user=second.user) == 5000
    assert ledger_audit().ok


def test_store_staff_sees_orders_but_cannot_edit_products(client, store_staff):
    store_staff.is_staff = True
    store_staff.save()
    client.force_login(store_staff)
    assert client.get("/admin/mall/order/").status_code == 200
    assert client.get("/admin/mall/coupon/").status_code == 200
    assert client.get("/admin/mall/product/add/").status_code == 403


def test_slot_admin_save_clears_cache(operator_client, api_client):
    seed_mall()
    slot = Slot.objects.get(key="home_banner")
    url = reverse("slot", args=["home_banner"])
    assert len(api_client.get(url).json()["items"]) == 2
    items = list(slot.items.order_by("pk"))
    form = {
        "key": "home_banner",
        "name": "首页轮播",
        "is_active": "on",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "2",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for i, item in enumerate(items):
        form |= {
            f"items-{i}-id": str(item.pk),
            f"items-{i}-slot": str(slot.pk),
            f"items-{i}-sort_order": str(item.sort_order),
            f"items-{i}-title": item.title,
            f"items-{i}-image_url": "",
            f"items-{i}-link_type": item.link_type,
            f"items-{i}-target": item.target,
            f"items-{i}-is_active": "on" if i == 0 else "",
        }
    response = operator_client.post(reverse("admin:core_slot_change", args=[slot.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [i["title"] for i in api_client.get(url).json()["items"]] == [items[0].title]
    cache.clear()


def test_demo_seed_is_idempotent():
    seed_mall()
    seed_mall()
    assert Product.objects.count() == 3
    voucher = Product.objects.get(name="洗牙体验券")
    assert (voucher.price, voucher.stock, voucher.per_user_limit, voucher.kind) == (80, 5, 1, "voucher")
    brush = Product.objects.get(name="电动牙刷")
    assert (brush.price, brush.stock, brush.kind) == (2000, 10, "physical")
    assert Product.objects.get(name="口腔检查预约券").stock is None
    assert SlotItem.objects.filter(slot__key="home_banner").count() == 2
    assert Store.objects.count() == 1
    assert Coupon.objects.count() == 0
