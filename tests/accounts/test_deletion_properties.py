"""Hypothesis over `user_delete`: whatever a member holds when they delete their account (points,
orders not yet sent, vouchers unused or partly used, seats in open group-buys they lead or joined,
unfinished assist tasks), afterwards the books balance, nothing of theirs is left open, every
other member has back exactly what they put into a group that failed, stock is the initial stock
minus the orders that stand, and a second deletion posts nothing."""

import pytest
from django.db.models import Sum
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.services import user_delete
from campaigns.assist.models import AssistCampaign, AssistTask
from campaigns.assist.services import assist_task_start
from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember
from campaigns.groupbuy.services import groupbuy_group_join, groupbuy_group_open
from core.clock import now
from mall.models import Coupon, Order, Product
from mall.services import redemption_create
from points.models import Transaction
from points.selectors import wallet_balance
from tests.campaigns.assist.factories import AssistCampaignFactory
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory
from tests.mall.factories import ProductFactory, give_points
from tests.referral.factories import UserFactory
from tests.reliability.helpers import assert_ledger_clean

pytestmark = pytest.mark.django_db

holdings = st.fixed_dictionaries(
    {
        "points": st.integers(0, 400),
        "physical": st.integers(0, 2),  # orders not yet sent
        "vouchers": st.integers(0, 2),  # voucher orders, nothing used
        "partly_used": st.integers(0, 1),  # a voucher order of two, one used
        "led_groups": st.integers(0, 2),  # groups they opened, with 0-2 friends in each
        "friends_per_group": st.integers(0, 2),
        "joined_groups": st.integers(0, 2),  # other people's groups they joined
        "tasks": st.lists(st.sampled_from(["points", "product"]), max_size=2),
        "orders_of_others": st.integers(0, 2),  # other members' orders, untouched
    }
)


@hsettings(max_examples=25, deadline=None)
@given(holdings)
def test_whatever_the_member_holds_deletion_settles_it_and_the_books_balance(h):
    # Given a member holding what Hypothesis drew, and other members around them.
    me = UserFactory()
    give_points(me, 2000)
    physical = ProductFactory(kind=Product.Kind.PHYSICAL, price=40, stock=10)
    voucher = ProductFactory(price=30, stock=10)
    pair = ProductFactory(price=20, stock=10)
    offer = GroupBuyOfferFactory(group_size=4, price=25, product=ProductFactory(price=60, stock=20))
    products = [physical, voucher, pair, offer.product]
    for _ in range(h["physical"]):
        redemption_create(user=me, product_id=physical.pk, address="深圳")
    for _ in range(h["vouchers"]):
        redemption_create(user=me, product_id=voucher.pk)
    for _ in range(h["partly_used"]):
        order = redemption_create(user=me, product_id=pair.pk, quantity=2)
        first = order.coupons.order_by("pk").first()
        Coupon.objects.filter(pk=first.pk).update(status=Coupon.Status.USED, used_at=now())
    others = []

    def other(points: int = 200):
        user = UserFactory()
        give_points(user, points)
        others.append(user)
        return user

    for _ in range(h["led_groups"]):
        group = groupbuy_group_open(user=me, offer_id=offer.pk)
        for _friend in range(h["friends_per_group"]):
            groupbuy_group_join(user=other(), group_id=group.pk)
    for _ in range(h["joined_groups"]):
        group = groupbuy_group_open(user=other(), offer_id=offer.pk)
        groupbuy_group_join(user=me, group_id=group.pk)
    for kind in h["tasks"]:
        if kind == "points":
            campaign = AssistCampaignFactory(reward_points=50)
        else:
            campaign = AssistCampaignFactory(
                reward_kind=AssistCampaign.RewardKind.PRODUCT, reward_points=0, product=voucher
            )
        assist_task_start(user=me, campaign_id=campaign.pk)
    for _ in range(h["orders_of_others"]):
        redemption_create(user=other(), product_id=voucher.pk)
    # Down to the drawn balance: the rest went on something else.
    spare = wallet_balance(user=me) - h["points"]
    if spare > 0:
        from points.services.ledger import account_for_user, account_sink, ledger_post

        ledger_post(
            kind=Transaction.Kind.ADMIN_ADJUST,
            key=f"prop:spend:{me.pk}",
            legs=[(account_for_user(me), -spare), (account_sink(), spare)],
        )
    my_groups = list(GroupBuyGroup.objects.filter(members__user=me).values_list("pk", flat=True))
    others_before = {user.pk: wallet_balance(user=user) for user in others}
    paid_into_my_groups = {
        user.pk: GroupBuyMember.objects.filter(user=user, group_id__in=my_groups).count() * offer.price
        for user in others
    }
    stock_before = {p.pk: Product.objects.get(pk=p.pk).stock for p in products}
    initial = {p.pk: 10 if p.pk != offer.product_id else 20 for p in products}

    # When they delete their account
    user_delete(user=me)

    # Then nothing of theirs is left open, and their wallet is empty
    assert wallet_balance(user=me) == 0
    unfinished = [Order.Status.CREATED, Order.Status.AWAITING_GROUP, Order.Status.AWAITING_ASSIST]
    assert not Order.objects.filter(user=me, status__in=unfinished).exists()
    assert not Coupon.objects.filter(user=me, status=Coupon.Status.UNUSED).exists()
    assert not GroupBuyGroup.objects.filter(members__user=me, status=GroupBuyGroup.Status.OPEN).exists()
    assert not AssistTask.objects.filter(user=me, status=AssistTask.Status.OPEN).exists()
    # Every other member has back exactly what they put into the groups that failed with it.
    for user in others:
        assert wallet_balance(user=user) == others_before[user.pk] + paid_into_my_groups[user.pk]
    # Stock: the initial stock minus what stands (used vouchers and others' orders stay taken).
    for product in products:
        taken = (
            Order.objects.filter(product=product)
            .exclude(status=Order.Status.CANCELLED)
            .aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        stock = Product.objects.get(pk=product.pk).stock
        assert stock == initial[product.pk] - taken
        assert stock >= stock_before[product.pk]  # deletion only gives back
    # And the books balance: every wallet equals its entries and lots, all sum to zero.
    assert_ledger_clean()

    # A second deletion (a second tap, the nightly sweep) posts nothing.
    transactions = Transaction.objects.count()
    user_delete(user=me)
    assert Transaction.objects.count() == transactions
