"""Distribution commission raced on real threads against PostgreSQL: the monthly cap holds when
several friends of one inviter redeem at once, a completion processed twice pays once, and a
cancel racing the inviter's task never leaves a held commission behind."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from mall.models import Order
from mall.services import (
    STORE_STAFF_GROUP,
    coupon_verify,
    order_commission_apply,
    redemption_cancel,
    redemption_create,
    roles_seed,
)
from points.models import Transaction
from points.selectors import wallet_balance
from referral.models import Commission
from tests.factories import StaffFactory
from tests.mall.factories import ProductFactory, StoreFactory, give_points
from tests.referral.factories import CommissionRuleFactory, UserFactory, invite
from tests.reliability.helpers import assert_ledger_clean, race, run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def friends_of(inviter, count: int) -> list:
    friends = [invite(inviter) for _ in range(count)]
    for friend in friends:
        give_points(friend, 1000)
    return friends


def test_the_monthly_cap_holds_when_friends_redeem_together():
    CommissionRuleFactory(percent=Decimal("10"), monthly_cap=25)
    inviter = UserFactory()
    friends = friends_of(inviter, 5)
    product = ProductFactory(price=100, stock=None)

    # Each redemption commits, then its inviter's task runs in that thread (eager Celery).
    outcomes = race(*[lambda f=f: redemption_create(user=f, product_id=product.pk) for f in friends])

    assert outcomes == ["ok"] * 5
    assert Commission.objects.count() == 5
    counted = Commission.objects.filter(status__in=["held", "paid"])
    assert sum(counted.values_list("amount", flat=True)) == 25
    assert sorted(Commission.objects.values_list("amount", flat=True)) == [0, 0, 5, 10, 10]
    assert_ledger_clean()


def test_the_cap_holds_when_the_inviters_tasks_run_together():
    inviter = UserFactory()
    friends = friends_of(inviter, 6)
    product = ProductFactory(price=100, stock=None)
    # Placed before the rule existed, so no task decided them yet; the tasks now race.
    orders = [redemption_create(user=f, product_id=product.pk) for f in friends]
    CommissionRuleFactory(percent=Decimal("10"), monthly_cap=35)

    run_together(*[lambda o=o: order_commission_apply(order_id=o.pk) for o in orders])

    assert Commission.objects.count() == 6
    assert sum(Commission.objects.filter(status="held").values_list("amount", flat=True)) == 35
    assert Commission.objects.filter(capped=True).count() == 3  # one cut to 5, two left with nothing
    assert_ledger_clean()


def test_a_completion_processed_twice_at_once_pays_once():
    roles_seed()
    clerk = StaffFactory(is_staff=False)
    clerk.groups.add(Group.objects.get(name=STORE_STAFF_GROUP))
    StoreFactory().staff.add(clerk)
    CommissionRuleFactory(percent=Decimal("10"))
    inviter = UserFactory()
    (friend,) = friends_of(inviter, 1)
    order = redemption_create(user=friend, product_id=ProductFactory(price=90, stock=None).pk)
    assert Commission.objects.get().status == "held"
    code = order.coupons.get().code

    outcomes = race(
        lambda: coupon_verify(code=code, staff=clerk),
        lambda: coupon_verify(code=code, staff=clerk),
        lambda: order_commission_apply(order_id=order.pk),
        lambda: order_commission_apply(order_id=order.pk),
    )

    assert outcomes.count("already_used") == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED
    # Whichever ran after the completion paid; every later run found it paid.
    order_commission_apply(order_id=order.pk)
    assert Commission.objects.get().status == "paid"
    assert wallet_balance(user=inviter) == 9
    assert Transaction.objects.filter(kind="commission").count() == 1
    assert_ledger_clean()
    call_command("audit_ledger")


def test_a_cancel_racing_the_inviters_task_never_leaves_a_held_commission():
    inviter = UserFactory()
    friends = friends_of(inviter, 4)
    product = ProductFactory(price=100, stock=None)
    orders = [redemption_create(user=f, product_id=product.pk) for f in friends]
    CommissionRuleFactory(percent=Decimal("10"))

    calls = []
    for friend, order in zip(friends, orders, strict=True):
        calls.append(lambda o=order, f=friend: redemption_cancel(order=o, actor=f, by_customer=True))
        calls.append(lambda o=order: order_commission_apply(order_id=o.pk))
    run_together(*calls)

    assert not Commission.objects.exclude(status="void").exists()  # none at all, or void
    assert all(wallet_balance(user=f) == 1000 for f in friends)
    assert wallet_balance(user=inviter) == 0
    assert_ledger_clean()
