"""客户: operators find a customer by nickname or phone, see them by nickname and masked phone
(never wx_5aa0...), open one profile with what every app knows, and export the list as CSV."""

import csv
import io

import pytest
from django.test import Client

from mall.services import redemption_create, roles_seed
from tests.factories import StaffFactory, UserFactory
from tests.mall.factories import ProductFactory, give_points
from tests.referral.factories import invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client():
    """A limited operator (the 运营 group), not a superuser."""
    from django.contrib.auth.models import Group

    roles_seed()
    operator = StaffFactory()
    operator.groups.add(Group.objects.get(name="运营"))
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def customer():
    alice = UserFactory(nickname="小艾", phone="13812345678", phone_verified=True)
    give_points(alice, 500)
    redemption_create(user=alice, product_id=ProductFactory(name="洗牙体验券", price=80).pk)
    invite(alice)  # alice invited a friend
    return alice


def test_the_list_shows_nickname_masked_phone_and_balance_never_the_username(operator_client, customer):
    page = operator_client.get("/admin/accounts/customer/").content.decode()

    assert "小艾" in page and "138****5678" in page and "420" in page  # 500 - 80
    assert customer.username not in page and "13812345678" not in page


def test_staff_accounts_are_not_customers(operator_client, customer):
    StaffFactory(nickname="前台小王")
    page = operator_client.get("/admin/accounts/customer/").content.decode()
    assert "前台小王" not in page


def test_search_by_phone_finds_the_customer(operator_client, customer):
    UserFactory(nickname="别人")
    page = operator_client.get("/admin/accounts/customer/", {"q": "13812345678"}).content.decode()
    assert "小艾" in page and "别人" not in page


def test_the_profile_gathers_every_app(operator_client, customer):
    response = operator_client.get(f"/admin/accounts/customer/{customer.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    for section in ["积分与等级", "订单", "券码", "挑战记录", "推荐", "分群与阶段"]:
        assert section in page, section
    assert "洗牙体验券" in page  # the order and its voucher
    assert "420" in page  # the balance
    assert "13812345678" not in page and customer.username not in page


def test_the_customer_list_exports_as_csv(operator_client, customer):
    response = operator_client.post(
        "/admin/accounts/customer/", {"action": "export_csv", "_selected_action": [customer.pk]}
    )

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "昵称", "手机号"]
    assert rows[1][:4] == [str(customer.pk), "小艾", "138****5678", "420"]


def test_orders_vouchers_and_checkins_export_as_csv(operator_client, customer):
    from checkin.models import CheckIn  # noqa: F401 - the list exists even when empty
    from mall.models import Coupon, Order

    for path, pk in [
        ("/admin/mall/order/", Order.objects.get().pk),
        ("/admin/mall/coupon/", Coupon.objects.get().pk),
    ]:
        response = operator_client.post(path, {"action": "export_csv", "_selected_action": [pk]})
        text = response.content.decode("utf-8-sig")
        assert response["Content-Type"].startswith("text/csv"), path
        assert "小艾 (138****5678)" in text and customer.username not in text, path
