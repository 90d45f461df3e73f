"""Regression tests for the faults of the "points that cannot be gamed" review (issue 16), one or
more per fault, each failing with its fix reverted. Races run real threads on PostgreSQL; the
lock order they rely on is docs/concurrency.md. Faults 4 and 8 are in tests/checkin, 7 in
tests/core/test_tokens.py, 9 in tests/mall/test_vouchers.py, 10 in tests/points/test_api.py,
11 (expiry lots) in tests/points; the mixed workload is tests/reliability/test_mixed_workload.py.
"""

import datetime as dt

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from accounts.services import user_phone_set
from campaigns.assist.models import AssistCampaign
from campaigns.assist.services import assist_task_help, assist_task_start, bargain_cuts
from campaigns.groupbuy.models import GroupBuyGroup
from campaigns.groupbuy.services import groupbuy_group_expire, groupbuy_group_join, groupbuy_group_open
from core.exceptions import ApplicationError
from core.locks import LockOrderError, lock_members, lock_shared, retry_on_conflict
from core.models import User
from mall.models import Order
from mall.services import redemption_cancel, redemption_create
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from points.services.ledger import account_for_user, account_issuance, ledger_lock
from referral.models import Referral, ReferralProfile, Reward, RewardRule
from referral.services import referral_profile_flag_set, referral_reward_approve
from tests.campaigns.assist.factories import AssistCampaignFactory, BargainCampaignFactory
from tests.campaigns.groupbuy.factories import GroupBuyOfferFactory
from tests.factories import StaffFactory
from tests.mall.factories import ProductFactory, give_points
from tests.referral.factories import RuleFactory, UserFactory, invite, next_phone, verify_phone
from tests.reliability.helpers import race


def regular_user():
    """A user who joined days ago: no share can bind them, so only the member lock is tested."""
    return UserFactory(date_joined=timezone.now() - dt.timedelta(days=3))


def live_orders(user, product) -> int:
    return Order.objects.filter(user=user, product=product).exclude(status=Order.Status.CANCELLED).count()


# -- 2. per-user limits and new-users-only, across paths ---------------------------------------


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_joining_two_groups_of_a_limit_one_product_at_once_makes_one_order(attempt):
    product = ProductFactory(price=80, stock=10, per_user_limit=1)
    offer = GroupBuyOfferFactory(product=product, group_size=3, price=30)
    leaders = [UserFactory(), UserFactory()]
    for leader in leaders:
        give_points(leader, 100)
    groups = [groupbuy_group_open(user=leader, offer_id=offer.pk) for leader in leaders]
    buyer = regular_user()
    give_points(buyer, 100)

    outcomes = race(*[lambda g=g: groupbuy_group_join(user=buyer, group_id=g.pk) for g in groups])

    assert outcomes == ["limit_reached", "ok"]
    assert live_orders(buyer, product) == 1
    assert wallet_balance(user=buyer) == 70
    assert ledger_audit().ok


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_assist_reward_and_a_redemption_of_a_limit_one_product_at_once_make_one_order(attempt):
    product = ProductFactory(price=50, stock=10, per_user_limit=1)
    campaign = AssistCampaignFactory(reward_kind=AssistCampaign.RewardKind.PRODUCT, product=product)
    user = regular_user()
    give_points(user, 100)

    outcomes = race(
        lambda: assist_task_start(user=user, campaign_id=campaign.pk),
        lambda: redemption_create(user=user, product_id=product.pk),
    )

    assert outcomes == ["limit_reached", "ok"]
    assert live_orders(user, product) == 1
    assert ledger_audit().ok


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_user_joining_two_new_users_only_groups_at_once_joins_one(attempt):
    offer = GroupBuyOfferFactory(new_users_only=True, group_size=3, price=30)
    leaders = [UserFactory(), UserFactory()]
    for leader in leaders:
        give_points(leader, 100)
    groups = [groupbuy_group_open(user=leader, offer_id=offer.pk) for leader in leaders]
    newcomer = UserFactory()
    give_points(newcomer, 100)

    outcomes = race(*[lambda g=g: groupbuy_group_join(user=newcomer, group_id=g.pk) for g in groups])

    assert outcomes == ["new_users_only", "ok"]
    assert Order.objects.filter(user=newcomer).count() == 1


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_group_join_and_a_redemption_of_a_limit_one_product_at_once_make_one_order(attempt):
    product = ProductFactory(price=80, stock=10, per_user_limit=1)
    offer = GroupBuyOfferFactory(product=product, group_size=3, price=30)
    leader = UserFactory()
    give_points(leader, 100)
    group = groupbuy_group_open(user=leader, offer_id=offer.pk)
    buyer = regular_user()
    give_points(buyer, 200)

    outcomes = race(
        lambda: groupbuy_group_join(user=buyer, group_id=group.pk),
        lambda: redemption_create(user=buyer, product_id=product.pk),
    )

    assert outcomes == ["limit_reached", "ok"]
    assert live_orders(buyer, product) == 1
    assert ledger_audit().ok


# -- 3. no referral cycle, however the bindings meet -------------------------------------------


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_new_users_joining_each_others_groups_at_once_are_not_bound_both_ways(attempt):
    RuleFactory(trigger=RewardRule.Trigger.REGISTERED, inviter_points=50, invitee_points=20, requires_phone=False)
    offer = GroupBuyOfferFactory(group_size=3, price=30)
    first, second = UserFactory(), UserFactory()  # both registered just now: new to the mini-program
    for user in (first, second):
        give_points(user, 100)
    first_group = groupbuy_group_open(user=first, offer_id=offer.pk)
    second_group = groupbuy_group_open(user=second, offer_id=offer.pk)

    outcomes = race(
        lambda: groupbuy_group_join(user=first, group_id=second_group.pk),
        lambda: groupbuy_group_join(user=second, group_id=first_group.pk),
    )

    assert outcomes == ["ok", "ok"]
    bindings = set(Referral.objects.values_list("inviter_id", "invitee_id"))
    assert len(bindings) == 1  # one direction only: the other would close a loop
    assert not {(a, b) for a, b in bindings} & {(b, a) for a, b in bindings}
    assert Reward.objects.count() == 1  # the pair is paid once: 70 points, not 140
    assert wallet_balance(user=first) + wallet_balance(user=second) == 200 - 30 - 30 - 30 - 30 + 70
    assert ledger_audit().ok


# -- 5. one phone, one account -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_inviter_cannot_verify_the_number_that_qualified_the_invitee():
    RuleFactory(inviter_points=50, invitee_points=20)
    inviter = UserFactory()
    friend = invite(inviter)
    phone = next_phone()
    verify_phone(friend, phone)  # the inviter is paid

    with pytest.raises(ApplicationError) as refused:
        verify_phone(inviter, phone)

    assert refused.value.code == "phone_in_use"
    assert not User.objects.get(pk=inviter.pk).phone_verified
    assert User.objects.filter(phone=phone, phone_verified=True).count() == 1


@pytest.mark.django_db
def test_a_number_moved_away_by_the_inviter_does_not_qualify_the_invitee_nor_come_back():
    RuleFactory(inviter_points=50, invitee_points=20)
    inviter = UserFactory()
    friend = invite(inviter)
    first, second = next_phone(), next_phone()
    verify_phone(inviter, first)
    verify_phone(inviter, second)  # the inviter moves from the first number to the second

    verify_phone(friend, first)  # the first number is free now, but it was the inviter's
    with pytest.raises(ApplicationError):
        verify_phone(inviter, first)  # and it cannot move back: the friend holds it

    reward = Reward.objects.get(referral__invitee=friend)
    assert reward.status == Reward.Status.REJECTED and reward.reason == Reward.Reason.DUPLICATE_PHONE
    assert wallet_balance(user=inviter) == 0
    assert User.objects.filter(phone=first, phone_verified=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accounts_verifying_one_number_at_once_end_with_one_holder():
    first, second = UserFactory(), UserFactory()
    phone = next_phone()

    outcomes = race(
        lambda: user_phone_set(user=first, number=phone),
        lambda: user_phone_set(user=second, number=phone),
    )

    assert outcomes == ["ok", "phone_in_use"]
    assert User.objects.filter(phone=phone, phone_verified=True).count() == 1


# -- 6. a held reward does not outlive the refund it was for -----------------------------------


@pytest.mark.django_db
def test_a_held_first_redemption_reward_is_rejected_by_the_refund_and_cannot_be_approved():
    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=10)
    staff = StaffFactory()
    inviter = UserFactory()
    friend = invite(inviter)
    verify_phone(friend)
    referral_profile_flag_set(profile=ReferralProfile.objects.get(user=inviter), flagged=True, actor=staff)
    give_points(friend, 100)
    order = redemption_create(user=friend, product_id=ProductFactory(price=50, stock=None).pk)
    held = Reward.objects.get()
    assert held.status == Reward.Status.HELD

    redemption_cancel(order=order, actor=friend, by_customer=True)
    with pytest.raises(ApplicationError) as refused:
        referral_reward_approve(reward=held, actor=staff)

    assert refused.value.code == "reward_not_held"
    held.refresh_from_db()
    assert held.status == Reward.Status.REJECTED and held.reason == Reward.Reason.REFUNDED
    assert wallet_balance(user=inviter) == 0 and wallet_balance(user=friend) == 100
    assert ledger_audit().ok


# -- 11. what running work depends on is frozen when it starts ---------------------------------


@pytest.mark.django_db
def test_editing_a_bargain_campaign_does_not_change_the_cuts_of_a_running_task():
    campaign = BargainCampaignFactory(helpers_required=4, new_user_counts_double=False)
    starter = UserFactory()
    task, _created = assist_task_start(user=starter, campaign_id=campaign.pk)
    expected = bargain_cuts(total=task.start_price - task.floor_price, slots=4, seed=task.cut_seed)

    campaign.seed, campaign.new_user_counts_double = "another-seed", True
    campaign.save(update_fields=["seed", "new_user_counts_double"])
    helper = UserFactory()  # new: would count double under the edited campaign
    task = assist_task_help(helper=helper, task_id=task.pk)

    assert task.progress == 1
    assert task.current_price == task.start_price - expected[0]


@pytest.mark.django_db
def test_a_mall_order_after_a_waiting_group_order_is_the_first_redemption_and_stays_rewarded(
    django_capture_on_commit_callbacks,
):
    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=10)
    inviter = UserFactory()
    friend = invite(inviter)
    verify_phone(friend)
    give_points(friend, 200)
    offer = GroupBuyOfferFactory(group_size=3, price=30)
    group = groupbuy_group_open(user=friend, offer_id=offer.pk)  # an order awaiting its group

    redemption_create(user=friend, product_id=ProductFactory(price=50, stock=None).pk)
    assert wallet_balance(user=inviter) == 30  # the mall order is the first that stands
    with django_capture_on_commit_callbacks(execute=True):
        assert groupbuy_group_expire(group_id=group.pk, force=True)  # the group fails: refunded

    assert Reward.objects.get().status == Reward.Status.PAID
    assert wallet_balance(user=inviter) == 30
    assert GroupBuyGroup.objects.get(pk=group.pk).status == GroupBuyGroup.Status.FAILED
    assert ledger_audit().ok


# -- the lock order is checked, and a lost race is 503 busy, never 500 -------------------------


@pytest.mark.django_db
def test_a_member_locked_after_an_account_is_refused_by_the_check():
    user = UserFactory()
    with pytest.raises(LockOrderError), transaction.atomic():
        ledger_lock(account_issuance())
        lock_members(user)


@pytest.mark.django_db
def test_members_locked_one_by_one_against_id_order_are_refused_by_the_check():
    first, second = UserFactory(), UserFactory()
    with pytest.raises(LockOrderError), transaction.atomic():
        lock_members(second)
        lock_members(first)


@pytest.mark.django_db
def test_accounts_locked_in_two_batches_against_id_order_are_refused_by_the_check():
    low, high = account_issuance(), account_for_user(UserFactory())
    with pytest.raises(LockOrderError), transaction.atomic():
        ledger_lock(high)
        ledger_lock(low)


@pytest.mark.django_db
def test_a_shared_object_locked_after_an_account_is_refused_by_the_check():
    with pytest.raises(LockOrderError), transaction.atomic():
        ledger_lock(account_issuance())
        lock_shared(User.objects.filter(pk=UserFactory().pk))


def _deadlock() -> OperationalError:
    import psycopg

    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_retried_and_then_answered_busy():
    calls = []

    @retry_on_conflict
    def always_loses():
        calls.append(1)
        raise _deadlock()

    with pytest.raises(ApplicationError) as busy:
        always_loses()

    assert busy.value.code == "busy" and busy.value.status == 503
    assert len(calls) == 3

    @retry_on_conflict
    def loses_once():
        calls.append(2)
        if calls.count(2) == 1:
            raise _deadlock()
        return "done"

    assert loses_once() == "done"


@pytest.mark.django_db(transaction=True)
def test_a_lost_race_reaches_the_client_as_503_busy_with_retry_after(monkeypatch):
    from tests.conftest import client_for

    user = UserFactory()

    def lose(*args, **kwargs):
        raise _deadlock()

    monkeypatch.setattr("points.api.views.signin_create", lose, raising=False)
    answer = client_for(user).post("/api/points/signin")

    assert answer.status_code == 503
    assert answer.json()["code"] == "busy" and answer["Retry-After"] == "1"
