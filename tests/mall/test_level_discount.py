"""The level discount in the mall (docs/membership.md "Level privileges"): a redemption charges the
discounted price through the ledger, once, and the order records what was paid and what was off."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mall.models import Order
from mall.services import redemption_cancel, redemption_create
from points.models import Entry, Growth, Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.factories import UserFactory
from tests.mall.factories import ProductFactory, give_points
from tests.points.factories import LevelFactory

pytestmark = pytest.mark.django_db


def growth_of(user, total: int) -> None:
    Growth.objects.update_or_create(user=user, defaults={"total": total})


@pytest.fixture
def golden_member(user):
    """A member of 黄金 (10% off), with 1000 points."""
    LevelFactory(name="青铜", threshold=0)
    LevelFactory(name="黄金", threshold=2000, discount_percent=10)
    growth_of(user, 2100)
    give_points(user, 1000)
    return user


def debit_of(order: Order) -> int:
    """What the ledger took from the member's wallet for the order."""
    return -Entry.objects.get(transaction=order.transaction, account__user=order.user).amount


def test_a_redemption_under_a_level_charges_the_discounted_price_and_records_it(golden_member):
    product = ProductFactory(price=85, stock=10)

    order = redemption_create(user=golden_member, product_id=product.pk, quantity=3)

    # 85 at 10% off: 8 points off each unit (8.5 rounded down), 77 paid each.
    assert (order.points, order.discount_points, order.discount_percent, order.list_points) == (231, 24, 10, 255)
    assert debit_of(order) == 231
    assert order.transaction.kind == Transaction.Kind.REDEMPTION
    assert order.transaction.metadata["discount_points"] == 24
    assert wallet_balance(user=golden_member) == 1000 - 231
    assert ledger_audit().ok


def test_the_discount_is_applied_once_a_replay_charges_nothing_more(golden_member):
    product = ProductFactory(price=100, stock=10)

    first = redemption_create(user=golden_member, product_id=product.pk, idempotency_key="k1")
    again = redemption_create(user=golden_member, product_id=product.pk, idempotency_key="k1")

    assert again.pk == first.pk and first.points == 90 and first.discount_points == 10
    assert Order.objects.count() == 1
    assert Transaction.objects.filter(kind=Transaction.Kind.REDEMPTION).count() == 1
    assert wallet_balance(user=golden_member) == 1000 - 90
    assert ledger_audit().ok


def test_a_cancel_refunds_what_was_paid_not_the_list_price(golden_member):
    product = ProductFactory(price=100, stock=10)
    order = redemption_create(user=golden_member, product_id=product.pk)

    redemption_cancel(order=order, actor=golden_member, by_customer=True)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert -Entry.objects.get(transaction=order.refund, account__user=golden_member).amount == -90
    assert wallet_balance(user=golden_member) == 1000
    assert ledger_audit().ok


def test_without_a_level_or_a_discount_the_list_price_is_charged(user):
    give_points(user, 500)
    product = ProductFactory(price=80, stock=10)
    plain = redemption_create(user=user, product_id=product.pk)
    assert (plain.points, plain.discount_points, plain.discount_percent) == (80, 0, 0)

    LevelFactory(name="青铜", threshold=0, discount_percent=10)
    cheap = ProductFactory(price=9, stock=10)  # 0.9 points off rounds down to nothing
    order = redemption_create(user=user, product_id=cheap.pk)
    assert (order.points, order.discount_points, order.discount_percent) == (9, 0, 0)


def test_a_1_point_product_costs_1_point_at_99_percent_off(user):
    LevelFactory(name="至尊", threshold=0, discount_percent=99)
    give_points(user, 10)
    order = redemption_create(user=user, product_id=ProductFactory(price=1, stock=None).pk, quantity=2)
    assert (order.points, order.discount_points) == (2, 0)
    assert wallet_balance(user=user) == 8


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    price=st.integers(min_value=1, max_value=5000),
    percent=st.integers(min_value=0, max_value=99),
    quantity=st.integers(min_value=1, max_value=3),
)
def test_property_whatever_the_price_and_percent_the_ledger_takes_exactly_the_recorded_price(price, percent, quantity):
    LevelFactory(name="会员", threshold=0, discount_percent=percent)
    from points.models import Level

    Level.objects.filter(threshold=0).update(discount_percent=percent)  # get_or_create kept an earlier example's
    member = UserFactory()
    give_points(member, price * quantity)
    product = ProductFactory(price=price, stock=None)

    order = redemption_create(user=member, product_id=product.pk, quantity=quantity)

    assert isinstance(order.points, int) and isinstance(order.discount_points, int)
    assert order.points + order.discount_points == price * quantity  # the list price, exactly
    assert quantity <= order.points <= price * quantity  # never below 1 point a unit, never above the list
    assert order.discount_points == quantity * (price * percent // 100)
    assert debit_of(order) == order.points
    assert wallet_balance(user=member) == price * quantity - order.points >= 0


def test_over_http_the_order_shows_the_price_paid_and_the_discount(golden_member, user_client):
    product = ProductFactory(price=80, stock=5)

    response = user_client.post(reverse("mall-redemptions"), {"product": product.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["points"], body["list_points"], body["discount_points"]) == (72, 80, 8)
    listed = user_client.get(reverse("mall-redemptions")).json()["results"][0]
    assert (listed["points"], listed["list_points"], listed["discount_points"]) == (72, 80, 8)
    assert wallet_balance(user=golden_member) == 1000 - 72
    assert ledger_audit().ok
