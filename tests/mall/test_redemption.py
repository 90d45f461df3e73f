import datetime as dt

import pytest
import time_machine

from core.exceptions import ApplicationError
from mall.models import Coupon, Order, Product
from mall.services import redemption_cancel, redemption_complete, redemption_create, redemption_fulfil
from points.models import Entry, Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, StoreFactory, give_points
from tests.points.factories import LevelFactory

pytestmark = pytest.mark.django_db


def redeem(user, product, **kwargs):
    return redemption_create(user=user, product_id=product.pk, **kwargs)


def error_of(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def test_redeem_debits_points_takes_stock_and_issues_a_voucher(user):
    product = ProductFactory(price=80, stock=5)
    give_points(user, 100)

    order = redeem(user, product)

    product.refresh_from_db()
    assert product.stock == 4
    assert wallet_balance(user=user) == 20
    assert order.points == 80
    assert order.status == Order.Status.FULFILLED
    assert order.transaction.kind == Transaction.Kind.REDEMPTION
    assert order.transaction.key == f"redeem:{order.pk}"
    coupon = Coupon.objects.get(order=order)
    assert coupon.status == Coupon.Status.UNUSED
    assert len(coupon.code) == 10 and not set(coupon.code) & set("01OIL")
    assert ledger_audit().ok


def test_quantity_multiplies_price_and_coupons(user):
    product = ProductFactory(price=10, stock=None, kind=Product.Kind.COUPON)
    give_points(user, 100)
    order = redeem(user, product, quantity=3)
    assert order.points == 30
    assert wallet_balance(user=user) == 70
    assert order.coupons.count() == 3
    product.refresh_from_db()
    assert product.stock is None


def test_out_of_stock(user):
    product = ProductFactory(stock=1, price=10)
    give_points(user, 100)
    redeem(user, product)
    error = error_of(lambda: redeem(user, product))
    assert (error.code, error.status) == ("out_of_stock", 409)
    assert wallet_balance(user=user) == 90
    assert Order.objects.count() == 1


def test_a_sold_out_product_is_answered_from_one_read_without_a_lock(user):
    """After a flash sale's sell-out, late buyers are refused before any lock or transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product = ProductFactory(stock=2, price=10)
    give_points(user, 100)
    with CaptureQueriesContext(connection) as queries:
        error = error_of(lambda: redeem(user, product, quantity=3))  # fewer left than asked
    assert (error.code, error.status) == ("out_of_stock", 409)
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 1 and "FOR " not in sql[0] and "SAVEPOINT" not in sql[0], sql
    assert redeem(user, product, quantity=2).quantity == 2  # the stock left is still for sale


def test_insufficient_points_changes_nothing(user):
    product = ProductFactory(stock=5, price=80)
    give_points(user, 79)
    error = error_of(lambda: redeem(user, product))
    assert (error.code, error.status) == ("insufficient_points", 400)
    product.refresh_from_db()
    assert product.stock == 5
    assert not Order.objects.exists()
    assert wallet_balance(user=user) == 79


def test_limit_reached_counts_only_live_orders(user):
    product = ProductFactory(stock=5, price=10, per_user_limit=1)
    give_points(user, 100)
    order = redeem(user, product)
    error = error_of(lambda: redeem(user, product))
    assert (error.code, error.status) == ("limit_reached", 409)
    redemption_cancel(order=order, actor=user, by_customer=True)
    assert redeem(user, product).pk != order.pk


def test_level_too_low(user):
    from points.models import Growth

    level = LevelFactory(name="黄金", threshold=2000)
    product = ProductFactory(price=10, level_required=level)
    give_points(user, 100)
    error = error_of(lambda: redeem(user, product))
    assert (error.code, error.status) == ("level_too_low", 403)
    Growth.objects.create(user=user, total=2000)
    assert redeem(user, product).status == Order.Status.FULFILLED


def test_not_on_sale_inactive_or_outside_window(user):
    give_points(user, 100)
    inactive = ProductFactory(price=10, is_active=False)
    assert error_of(lambda: redeem(user, inactive)).code == "not_on_sale"
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    windowed = ProductFactory(price=10, starts_at=start, ends_at=start + dt.timedelta(days=1))
    with time_machine.travel(start - dt.timedelta(minutes=1), tick=False):
        error = error_of(lambda: redeem(user, windowed))
        assert (error.code, error.status) == ("not_on_sale", 409)
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        assert redeem(user, windowed).pk
    with time_machine.travel(start + dt.timedelta(days=1), tick=False):
        assert error_of(lambda: redeem(user, windowed)).code == "not_on_sale"


def test_physical_goods_need_address_or_store(user):
    product = ProductFactory(kind=Product.Kind.PHYSICAL, price=10, stock=10)
    give_points(user, 100)
    error = error_of(lambda: redeem(user, product))
    assert (error.code, error.status) == ("invalid", 400)
    assert redeem(user, product, address="上海市 1 号").status == Order.Status.CREATED
    store = StoreFactory()
    order = redeem(user, product, store_id=store.pk)
    assert order.store == store and not order.coupons.exists()


def test_idempotency_key_returns_the_same_order(user):
    product = ProductFactory(price=10, stock=5)
    give_points(user, 100)
    first = redeem(user, product, idempotency_key="k-1")
    again = redeem(user, product, idempotency_key="k-1")
    assert again.pk == first.pk
    assert wallet_balance(user=user) == 90
    other = UserFactory()
    give_points(other, 100)
    assert redeem(other, product, idempotency_key="k-1").pk != first.pk  # keys are per user


def test_cancel_refunds_and_restores_stock(user):
    product = ProductFactory(price=80, stock=5)
    give_points(user, 100)
    order = redeem(user, product)

    cancelled = redemption_cancel(order=order, actor=user, by_customer=True)

    assert cancelled.status == Order.Status.CANCELLED
    assert wallet_balance(user=user) == 100
    product.refresh_from_db()
    assert product.stock == 5
    assert cancelled.refund.kind == Transaction.Kind.REFUND
    assert cancelled.refund.refund_of_id == order.transaction_id
    assert cancelled.refund.key == f"redeem-refund:{order.pk}"
    assert Coupon.objects.get(order=order).status == Coupon.Status.CANCELLED
    assert ledger_audit().ok
    # a second cancel moves nothing
    redemption_cancel(order=order, actor=user, by_customer=True)
    assert wallet_balance(user=user) == 100
    assert Entry.objects.filter(transaction__kind=Transaction.Kind.REFUND).count() == 2


def test_used_voucher_cannot_be_cancelled(user, store_staff):
    from mall.services import coupon_verify

    product = ProductFactory(price=10)
    give_points(user, 100)
    order = redeem(user, product)
    coupon_verify(code=order.coupons.get().code, staff=store_staff)
    error = error_of(lambda: redemption_cancel(order=order, actor=None))
    assert (error.code, error.status) == ("already_used", 409)
    assert wallet_balance(user=user) == 90


def test_physical_order_lifecycle_and_customer_cannot_cancel_sent(user):
    product = ProductFactory(kind=Product.Kind.PHYSICAL, price=10, stock=3)
    give_points(user, 100)
    order = redeem(user, product, address="addr")
    redemption_fulfil(order=order)
    assert error_of(lambda: redemption_cancel(order=order, actor=user, by_customer=True)).code == "invalid_state"
    assert redemption_complete(order=order).status == Order.Status.COMPLETED
    assert error_of(lambda: redemption_cancel(order=order)).code == "invalid_state"


def test_operator_cancels_fulfilled_physical_order(user):
    product = ProductFactory(kind=Product.Kind.PHYSICAL, price=10, stock=3)
    give_points(user, 100)
    order = redeem(user, product, address="addr")
    redemption_fulfil(order=order)
    redemption_cancel(order=order)
    product.refresh_from_db()
    assert product.stock == 3 and wallet_balance(user=user) == 100


def test_points_go_to_the_users_sink_shard_and_a_refund_comes_back_from_it():
    from points.services.ledger import SHARDS, account_sink

    user = UserFactory()
    give_points(user, 100)
    product = ProductFactory(price=30)
    order = redemption_create(user=user, product_id=product.pk)
    shard = account_sink(shard_of=user.pk)
    assert shard.code == ("sink" if user.pk % SHARDS == 0 else f"sink:{user.pk % SHARDS}")
    assert shard.balance == 30

    redemption_cancel(order=order, actor=user, by_customer=True)

    shard.refresh_from_db()
    assert shard.balance == 0
    assert wallet_balance(user=user) == 100


def test_an_order_paid_into_the_main_sink_is_refunded_from_it():
    """Orders from before the shards (and group-buys) paid the main sink; their refund must not
    come from a shard that never received the points."""
    from points.services.ledger import SHARDS, account_for_user, account_sink, ledger_post

    user = UserFactory()
    while user.pk % SHARDS == 0:
        user = UserFactory()
    give_points(user, 100)
    product = ProductFactory(price=40)
    order = Order.objects.create(user=user, product=product, quantity=1, points=40)
    order.transaction = ledger_post(
        kind=Transaction.Kind.REDEMPTION,
        key=f"legacy:{order.pk}",
        legs=[(account_for_user(user), -40), (account_sink(), 40)],
    )
    order.save(update_fields=["transaction"])

    redemption_cancel(order=order, actor=user, by_customer=True)

    assert wallet_balance(user=user) == 100
    assert account_sink().balance == 0 and account_sink(shard_of=user.pk).balance == 0
    assert ledger_audit().ok
