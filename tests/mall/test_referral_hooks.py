import pytest

from events.models import Event
from mall.services import redemption_cancel, redemption_create
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from referral.models import Reward, RewardRule
from tests.mall.factories import ProductFactory, give_points
from tests.referral.factories import RuleFactory, UserFactory, invite, verify_phone

pytestmark = pytest.mark.django_db


def test_first_redemption_rewards_the_referral_and_cancelling_it_claws_back():
    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=10)
    inviter = UserFactory()
    friend = invite(inviter)
    verify_phone(friend)
    give_points(friend, 100)
    product = ProductFactory(price=50, stock=None)

    order = redemption_create(user=friend, product_id=product.pk)
    assert wallet_balance(user=inviter) == 30
    assert wallet_balance(user=friend) == 60
    second = redemption_create(user=friend, product_id=product.pk)  # not a first redemption: nothing more
    assert wallet_balance(user=inviter) == 30 and Reward.objects.count() == 1

    redemption_cancel(order=second, actor=friend, by_customer=True)
    assert Reward.objects.get().status == Reward.Status.PAID  # only the first one claws back
    redemption_cancel(order=order, actor=friend, by_customer=True)
    assert Reward.objects.get().status == Reward.Status.CLAWED_BACK
    assert wallet_balance(user=inviter) == 0
    assert wallet_balance(user=friend) == 100  # refunds 50 + 50, claw back 10 of the 10 reward
    assert ledger_audit().ok


def test_a_group_buy_that_is_a_first_order_rewards_the_referral_when_the_group_succeeds(
    django_capture_on_commit_callbacks,
):
    from campaigns.groupbuy.services import groupbuy_group_join, groupbuy_group_open
    from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory

    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=10)
    inviter = UserFactory()
    friend = invite(inviter)
    verify_phone(friend)
    give_points(friend, 100)
    leader = UserFactory()
    give_points(leader, 100)
    offer = GroupBuyOfferFactory(group_size=2, price=30)

    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    # The last seat: the group succeeds, and each member's first-redemption rules run in that
    # member's own transaction once the join commits.
    with django_capture_on_commit_callbacks(execute=True):
        groupbuy_group_join(user=friend, group_id=group.pk)

    assert Reward.objects.get().referral.invitee_id == friend.pk
    assert wallet_balance(user=inviter) == 30
    assert wallet_balance(user=friend) == 100 - 30 + 10
    assert ledger_audit().ok


def test_a_gift_order_is_not_a_first_redemption_and_does_not_use_it_up():
    from campaigns.assist.services import assist_task_help, assist_task_start
    from tests.campaigns.assist.factories import AssistCampaignFactory

    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=10)
    inviter = UserFactory()
    friend = invite(inviter)
    verify_phone(friend)
    reward = ProductFactory(price=199, stock=5)
    campaign = AssistCampaignFactory(reward_kind="product", reward_points=0, product=reward, helpers_required=1)

    task, _ = assist_task_start(user=friend, campaign_id=campaign.pk)
    assist_task_help(helper=UserFactory(), task_id=task.pk)  # the gift voucher: a zero-point order
    assert Reward.objects.count() == 0 and wallet_balance(user=inviter) == 0
    assert not Event.objects.filter(kind="redeemed", user=friend).exists()

    give_points(friend, 100)
    redemption_create(user=friend, product_id=ProductFactory(price=50, stock=None).pk)  # the first paid one
    assert Reward.objects.get().referral.invitee_id == friend.pk
    assert wallet_balance(user=inviter) == 30
    assert Event.objects.filter(kind="redeemed", user=friend).count() == 1
    assert ledger_audit().ok
