"""`DELETE me` racing the member's own requests and other members' on real threads (PostgreSQL):
whichever commits first, the other sees its outcome, no lock race is lost (no deadlock, no
out-of-order lock), the deleted wallet ends empty and the ledger balances."""

import pytest
from django.db.models import Sum

from accounts.models import AccountDeletion
from accounts.services import user_delete
from campaigns.assist.models import AssistTask
from campaigns.assist.services import assist_task_help, assist_task_start
from campaigns.groupbuy.models import GroupBuyGroup
from campaigns.groupbuy.services import groupbuy_group_expire, groupbuy_group_join, groupbuy_group_open
from mall.models import Coupon, Order, Product
from mall.services import redemption_cancel, redemption_create
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.ledger import account_escrow
from tests.campaigns.assist.factories import AssistCampaignFactory
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory
from tests.mall.factories import ProductFactory, give_points
from tests.referral.factories import UserFactory
from tests.reliability.helpers import assert_ledger_clean, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ATTEMPTS = range(4)


def rich_user(points: int = 200):
    user = UserFactory()
    give_points(user, points)
    return user


def deleted(outcome) -> bool:
    return isinstance(outcome, AccountDeletion)


def assert_settled(user) -> None:
    """Nothing of the deleted member is left open, their wallet is empty, the books balance."""
    assert wallet_balance(user=user) == 0
    open_orders = [Order.Status.CREATED, Order.Status.AWAITING_GROUP, Order.Status.AWAITING_ASSIST]
    assert not Order.objects.filter(user=user, status__in=open_orders).exists()
    assert not Coupon.objects.filter(user=user, status=Coupon.Status.UNUSED).exists()
    assert not GroupBuyGroup.objects.filter(members__user=user, status=GroupBuyGroup.Status.OPEN).exists()
    assert_ledger_clean()


def assert_stock(product: Product, initial: int) -> None:
    taken = Order.objects.filter(product=product).exclude(status=Order.Status.CANCELLED).aggregate(n=Sum("quantity"))
    product.refresh_from_db()
    assert product.stock == initial - (taken["n"] or 0)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_delete_races_the_members_own_redemption(attempt):
    me = rich_user()
    product = ProductFactory(price=80, stock=3)

    results = run_together(
        lambda: user_delete(user=me),
        lambda: redemption_create(user=me, product_id=product.pk),
        allow=("insufficient_points",),
    )

    assert deleted(results[0])
    # Either the redemption came first (then the deletion cancelled and refunded it) or after
    # (then the wallet was already empty).
    assert isinstance(results[1], Order) or results[1] == "insufficient_points"
    assert_settled(me)
    assert_stock(product, 3)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_delete_races_the_members_own_cancellation(attempt):
    me = rich_user()
    product = ProductFactory(kind=Product.Kind.PHYSICAL, price=80, stock=3)
    order = redemption_create(user=me, product_id=product.pk, address="深圳")

    results = run_together(
        lambda: user_delete(user=me), lambda: redemption_cancel(order=order, actor=me, by_customer=True)
    )

    assert deleted(results[0]) and isinstance(results[1], Order)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Transaction.objects.filter(key=f"redeem-refund:{order.pk}").count() == 1  # refunded once
    assert_settled(me)
    assert_stock(product, 3)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_delete_races_a_friend_filling_the_members_group(attempt):
    me, friend = rich_user(), rich_user()
    offer = GroupBuyOfferFactory(group_size=2, price=30)
    group = groupbuy_group_open(user=me, offer_id=offer.pk)

    results = run_together(
        lambda: user_delete(user=me),
        lambda: groupbuy_group_join(user=friend, group_id=group.pk),
        allow=("group_closed",),
    )

    assert deleted(results[0])
    group.refresh_from_db()
    if group.status == GroupBuyGroup.Status.SUCCEEDED:
        # The join won: the friend keeps the product; the member's voucher order was cancelled.
        assert isinstance(results[1], GroupBuyGroup)
        assert wallet_balance(user=friend) == 170
        assert Order.objects.get(user=friend).status == Order.Status.FULFILLED
        assert Order.objects.get(user=me).status == Order.Status.CANCELLED
    else:
        # The deletion won: the group failed, and the join found it closed.
        assert group.status == GroupBuyGroup.Status.FAILED and results[1] == "group_closed"
        assert wallet_balance(user=friend) == 200
    assert account_escrow(group.pk).balance == 0
    assert_settled(me)
    assert_stock(offer.product, 10)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_delete_races_the_member_joining_a_group(attempt):
    leader, me = rich_user(), rich_user()
    offer = GroupBuyOfferFactory(group_size=3, price=30)
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)

    results = run_together(
        lambda: user_delete(user=me),
        lambda: groupbuy_group_join(user=me, group_id=group.pk),
        allow=("insufficient_points",),
    )

    assert deleted(results[0])
    group.refresh_from_db()
    if isinstance(results[1], GroupBuyGroup):  # joined first: the deletion failed the group
        assert group.status == GroupBuyGroup.Status.FAILED
    else:  # joined after: the wallet was empty, nothing happened
        assert results[1] == "insufficient_points" and group.status == GroupBuyGroup.Status.OPEN
    assert wallet_balance(user=leader) == (200 if group.status == GroupBuyGroup.Status.FAILED else 170)
    assert_settled(me)
    assert_stock(offer.product, 10)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_delete_races_the_expiry_of_the_members_group(attempt):
    me, friend = rich_user(), rich_user()
    offer = GroupBuyOfferFactory(group_size=3, price=30)
    group = groupbuy_group_open(user=me, offer_id=offer.pk)
    groupbuy_group_join(user=friend, group_id=group.pk)

    results = run_together(lambda: user_delete(user=me), lambda: groupbuy_group_expire(group_id=group.pk, force=True))

    assert deleted(results[0]) and results[1] in (True, False)  # one of them failed it
    group.refresh_from_db()
    assert group.status == GroupBuyGroup.Status.FAILED
    assert Transaction.objects.filter(kind=Transaction.Kind.REFUND, key__startswith="groupbuy:refund:").count() == 2
    assert wallet_balance(user=friend) == 200
    assert_settled(me)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_delete_races_the_help_that_completes_the_members_task(attempt):
    me, helper = rich_user(), rich_user()
    campaign = AssistCampaignFactory(reward_points=50, helpers_required=1)
    task, _created = assist_task_start(user=me, campaign_id=campaign.pk)

    results = run_together(
        lambda: user_delete(user=me),
        lambda: assist_task_help(helper=helper, task_id=task.pk),
        allow=("task_closed",),
    )

    assert deleted(results[0])
    task.refresh_from_db()
    if isinstance(results[1], AssistTask):  # the help won: the reward was paid, then forfeited
        assert task.status == AssistTask.Status.COMPLETED
        assert results[0].points_forfeited == 250
    else:
        assert results[1] == "task_closed" and task.status == AssistTask.Status.EXPIRED
    assert_settled(me)


def test_two_deletions_at_once_forfeit_once():
    me = rich_user(300)

    results = run_together(lambda: user_delete(user=me), lambda: user_delete(user=me))

    assert all(deleted(outcome) for outcome in results)
    assert Transaction.objects.filter(key__startswith=f"forfeit:user:{me.pk}:").count() == 1
    assert AccountDeletion.objects.get(user=me).points_forfeited == 300
    assert_settled(me)
