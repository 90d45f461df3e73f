import datetime as dt

import pytest
import time_machine

from core.exceptions import ApplicationError
from core.jobs import nightly_run
from points.models import Coupon, Order
from points.services.mall import coupon_verify, coupons_expire, redemption_cancel, redemption_create
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, StoreFactory, give_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon(user):
    give_points(user, 100)
    order = redemption_create(user=user, product_id=ProductFactory(price=10, voucher_valid_days=30).pk)
    return order.coupons.get()


def test_staff_verify_once_records_staff_and_store(coupon, store_staff):
    store = StoreFactory()
    store.staff.add(store_staff)
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


def test_operator_may_verify(coupon, operator):
    assert coupon_verify(code=coupon.code, staff=operator).status == Coupon.Status.USED


def test_other_users_coupon_codes_are_unique():
    product = ProductFactory(price=1, stock=None)
    codes = set()
    for _ in range(5):
        user = UserFactory()
        give_points(user, 10)
        codes.add(redemption_create(user=user, product_id=product.pk, quantity=2).coupons.first().code)
    assert len(codes) == 5
