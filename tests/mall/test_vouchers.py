import datetime as dt

import pytest
import time_machine

from core.exceptions import ApplicationError
from core.jobs import nightly_run
from mall.models import Coupon, Order
from mall.services import coupon_verify, coupons_expire, redemption_cancel, redemption_create
from tests.factories import StaffFactory, UserFactory
from tests.mall.factories import ProductFactory, StoreFactory, give_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon(user):
    give_points(user, 100)
    order = redemption_create(user=user, product_id=ProductFactory(price=10, voucher_valid_days=30).pk)
    return order.coupons.get()


def test_staff_verify_once_records_staff_and_store(coupon, store_staff):
    store = store_staff.mall_stores.get()
    used = coupon_verify(code=coupon.code.lower(), staff=store_staff)
    assert used.status == Coupon.Status.USED
    assert used.verified_by == store_staff and used.store == store and used.used_at is not None
    assert used.order.status == Order.Status.COMPLETED
    with pytest.raises(ApplicationError) as caught:
        coupon_verify(code=coupon.code, staff=store_staff)
    assert (caught.value.code, caught.value.status) == ("already_used", 409)


def test_customer_cannot_verify(coupon, user):
    with pytest.raises(ApplicationError) as caught:
        coupon_verify(code=coupon.code, staff=user)
    assert caught.value.status == 403
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.UNUSED


def test_unknown_code_is_404(store_staff):
    with pytest.raises(ApplicationError) as caught:
        coupon_verify(code="NOPE", staff=store_staff)
    assert caught.value.status == 404


def test_expired_voucher_cannot_be_verified_and_nightly_job_marks_it(coupon, store_staff):
    later = coupon.expires_at + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        with pytest.raises(ApplicationError) as caught:
            coupon_verify(code=coupon.code, staff=store_staff)
        assert (caught.value.code, caught.value.status) == ("coupon_expired", 409)
        results = dict((name, ok) for name, ok, _message in nightly_run(only=["expire_coupons"]))
    assert results == {"expire_coupons": True}
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.EXPIRED
    assert coupons_expire(at=later) == 0  # idempotent


def test_expiry_job_leaves_valid_vouchers(coupon):
    assert coupons_expire(at=coupon.expires_at - dt.timedelta(seconds=1)) == 0
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.UNUSED


def test_customer_cannot_cancel_expired_voucher(coupon, user):
    coupons_expire(at=coupon.expires_at)
    with pytest.raises(ApplicationError) as caught:
        redemption_cancel(order=coupon.order, actor=user, by_customer=True)
    assert caught.value.code == "coupon_expired"


def test_operator_may_verify_at_their_store(coupon, operator):
    store = StoreFactory()
    store.staff.add(operator)
    used = coupon_verify(code=coupon.code, staff=operator)
    assert (used.status, used.store) == (Coupon.Status.USED, store)


def refused(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def assert_unused(coupon) -> None:
    coupon.refresh_from_db()
    assert (coupon.status, coupon.used_at, coupon.verified_by, coupon.store) == (Coupon.Status.UNUSED, None, None, None)
    assert coupon.order.status != Order.Status.COMPLETED


def test_staff_cannot_record_a_verification_at_another_store(coupon, store_staff):
    other = StoreFactory()

    error = refused(lambda: coupon_verify(code=coupon.code, staff=store_staff, store_id=other.pk))

    assert (error.code, error.status) == ("not_your_store", 403)
    assert_unused(coupon)
    # At their own store, named or not, the same voucher is verified
    mine = store_staff.mall_stores.get()
    assert coupon_verify(code=coupon.code, staff=store_staff, store_id=mine.pk).store == mine


def test_staff_of_several_stores_verify_at_the_one_they_name(coupon, store_staff):
    second = StoreFactory()
    second.staff.add(store_staff)

    assert coupon_verify(code=coupon.code, staff=store_staff, store_id=second.pk).store == second


@pytest.mark.parametrize("name_a_store", [False, True])
def test_staff_of_no_store_cannot_verify(coupon, store_staff, name_a_store):
    store = store_staff.mall_stores.get()
    store_staff.mall_stores.clear()
    store_id = store.pk if name_a_store else None

    error = refused(lambda: coupon_verify(code=coupon.code, staff=store_staff, store_id=store_id))

    assert (error.code, error.status) == ("no_store", 403)
    assert_unused(coupon)


def test_staff_of_an_inactive_store_only_is_of_no_store(coupon, store_staff):
    store_staff.mall_stores.update(is_active=False)

    error = refused(lambda: coupon_verify(code=coupon.code, staff=store_staff))

    assert (error.code, error.status) == ("no_store", 403)
    assert_unused(coupon)


def test_a_superuser_verifies_at_any_store_they_name(coupon):
    superuser = StaffFactory(is_superuser=True)
    store = StoreFactory()

    error = refused(lambda: coupon_verify(code=coupon.code, staff=superuser))
    assert (error.code, error.status) == ("store_required", 400)
    assert_unused(coupon)

    used = coupon_verify(code=coupon.code, staff=superuser, store_id=store.pk)
    assert (used.status, used.store, used.verified_by) == (Coupon.Status.USED, store, superuser)


def test_a_superuser_on_a_store_verifies_there_without_naming_it(coupon):
    superuser = StaffFactory(is_superuser=True)
    store = StoreFactory()
    store.staff.add(superuser)

    assert coupon_verify(code=coupon.code, staff=superuser).store == store


def test_other_users_coupon_codes_are_unique():
    product = ProductFactory(price=1, stock=None)
    codes = set()
    for _ in range(5):
        user = UserFactory()
        give_points(user, 10)
        codes.add(redemption_create(user=user, product_id=product.pk, quantity=2).coupons.first().code)
    assert len(codes) == 5
