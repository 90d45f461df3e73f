"""The front-desk page: store staff look a voucher up, see the patient (nickname, masked phone),
the product and the expiry, confirm once, and see today's verifications; only at their stores."""

import pytest
from django.test import Client

from mall.models import Coupon
from mall.services import redemption_create
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, StoreFactory, give_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher():
    patient = UserFactory(nickname="小艾", phone="13812345678", phone_verified=True)
    give_points(patient, 100)
    order = redemption_create(user=patient, product_id=ProductFactory(name="洗牙体验券", price=80).pk)
    return order.coupons.get()


@pytest.fixture
def desk(store_staff):
    client = Client()
    client.force_login(store_staff)
    return client


def test_staff_must_log_in_and_customers_are_refused(voucher, user):
    assert Client().get("/staff/").url.startswith("/staff/login")
    customer = Client()
    customer.force_login(user)
    assert customer.get("/staff/").status_code == 403


def test_staff_log_in_on_the_page_itself(store_staff):
    client = Client()
    response = client.post("/staff/login", {"username": store_staff.username, "password": "staff-password-2026"})
    assert response.status_code == 302 and client.get("/staff/").status_code == 200


def test_a_lookup_shows_the_patient_masked_and_the_voucher(desk, voucher):
    page = desk.get("/staff/", {"code": voucher.code.lower()}).content.decode()  # typed in lower case

    assert "小艾" in page and "138****5678" in page and "13812345678" not in page
    assert "洗牙体验券" in page and voucher.expires_at.astimezone().strftime("%Y-%m-%d") in page
    assert 'id="confirm"' in page


def test_confirming_verifies_once_and_lists_it_today(desk, voucher, store_staff):
    store = store_staff.mall_stores.get()
    response = desk.post("/staff/verify", {"code": voucher.code, "store": store.pk}, follow=True)

    page = response.content.decode()
    assert "已核销" in page and 'id="today"' in page and "小艾" in page
    voucher.refresh_from_db()
    assert voucher.status == Coupon.Status.USED and voucher.store == store and voucher.verified_by == store_staff

    again = desk.post("/staff/verify", {"code": voucher.code, "store": store.pk}, follow=True).content.decode()
    assert "该券已核销。" in again  # already used: said in Chinese, nothing changes
    assert 'id="confirm"' not in again


def test_staff_cannot_verify_at_a_store_they_are_not_on(desk, voucher):
    elsewhere = StoreFactory()
    page = desk.post("/staff/verify", {"code": voucher.code, "store": elsewhere.pk}, follow=True).content.decode()

    voucher.refresh_from_db()
    assert voucher.status == Coupon.Status.UNUSED
    assert "你不是该门店的员工。" in page


def test_an_unknown_code_says_so(desk, voucher):
    page = desk.get("/staff/", {"code": "NOSUCHCODE"}).content.decode()
    assert 'id="not-found"' in page and 'id="confirm"' not in page


@pytest.fixture
def operator_client(operator):
    client = Client()
    client.force_login(operator)
    return client


def test_an_operator_puts_a_new_login_on_a_store_in_one_step(operator_client):
    from django.contrib.auth import authenticate

    store = StoreFactory(name="南山诊所")
    response = operator_client.post(
        f"/admin/mall/store/{store.pk}/add-staff/",
        {"username": "clerk-nanshan", "password": "front-desk-2026", "nickname": "前台小王"},
    )

    assert response.status_code == 302
    clerk = authenticate(username="clerk-nanshan", password="front-desk-2026")
    assert clerk is not None and clerk.has_perm("mall.verify_coupon") and not clerk.is_staff
    assert list(store.staff.all()) == [clerk]
    assert "前台小王" in operator_client.get("/admin/mall/store/").content.decode()


def test_an_operator_puts_an_existing_account_on_a_store(operator_client):
    store, nurse = StoreFactory(), UserFactory(nickname="护士小李")
    operator_client.post(f"/admin/mall/store/{store.pk}/add-staff/", {"user": nurse.pk})
    assert nurse.has_perm("mall.verify_coupon") and store.staff.get() == nurse


def test_the_add_staff_form_refuses_an_empty_request_and_a_taken_username(operator_client, store_staff):
    store = StoreFactory()
    empty = operator_client.post(f"/admin/mall/store/{store.pk}/add-staff/", {})
    assert empty.status_code == 200 and "请选择账号" in empty.content.decode()
    taken = operator_client.post(
        f"/admin/mall/store/{store.pk}/add-staff/", {"username": store_staff.username, "password": "long-enough-1"}
    )
    assert taken.status_code == 200 and "用户名已被占用" in taken.content.decode()
    assert not store.staff.exists()


def test_the_store_staff_picker_searches_instead_of_listing_everyone(operator_client):
    store = StoreFactory()
    page = operator_client.get(f"/admin/mall/store/{store.pk}/change/").content.decode()
    assert "admin-autocomplete" in page


def test_the_report_counts_verifications_per_store_and_staff(operator_client, desk, voucher, store_staff):
    store = store_staff.mall_stores.get()
    desk.post("/staff/verify", {"code": voucher.code, "store": store.pk})

    page = operator_client.get("/admin/mall/coupon/report/").content.decode()
    assert store.name in page and str(store_staff) in page
    assert "1 张券码已核销" in page
