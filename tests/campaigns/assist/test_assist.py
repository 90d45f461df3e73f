import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from campaigns.assist.models import AssistHelp, AssistTask
from campaigns.assist.services import (
    assist_bargain_redeem,
    assist_task_expire,
    assist_task_help,
    assist_task_start,
    assists_expire_due,
    bargain_cuts,
)
from core.clock import now
from core.exceptions import ApplicationError
from core.jobs import all_jobs
from mall.models import Coupon, Order
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from referral.models import Referral
from tests.campaigns.assist.factories import AssistCampaignFactory, BargainCampaignFactory, ProductFactory, give_points
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def old_user(**kwargs):
    """A user who registered days ago: not new to the mini-program."""
    return UserFactory(date_joined=now() - dt.timedelta(days=3), **kwargs)


def code_of(call) -> str:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value.code


def help_by(task, n, factory=old_user):
    helpers = [factory() for _ in range(n)]
    for helper in helpers:
        task = assist_task_help(helper=helper, task_id=task.pk)
    return task, helpers


# -- assist paid in points ----------------------------------------------------------------------


def test_required_helpers_complete_the_task_and_pay_the_reward_once():
    campaign = AssistCampaignFactory(reward_points=50, helpers_required=3)
    starter = old_user()
    task, created = assist_task_start(user=starter, campaign_id=campaign.pk)
    assert created and task.status == AssistTask.Status.OPEN and task.required == 3

    task, _helpers = help_by(task, 2)
    assert task.status == AssistTask.Status.OPEN and wallet_balance(user=starter) == 0

    task, _helpers = help_by(task, 1)
    task.refresh_from_db()
    assert task.status == AssistTask.Status.COMPLETED and task.progress == 3 and task.completed_at is not None
    assert wallet_balance(user=starter) == 50
    assert Transaction.objects.filter(kind=Transaction.Kind.ASSIST_REWARD).count() == 1
    assert task.reward_transaction.key == f"assist:reward:{task.pk}"

    # A fourth friend finds it finished; nothing more is paid.
    assert code_of(lambda: assist_task_help(helper=old_user(), task_id=task.pk)) == "task_closed"
    assert wallet_balance(user=starter) == 50
    assert ledger_audit().ok


def test_self_help_and_repeat_help_are_refused_and_change_nothing():
    campaign = AssistCampaignFactory()
    starter, friend = old_user(), old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)

    assert code_of(lambda: assist_task_help(helper=starter, task_id=task.pk)) == "cannot_help_self"
    assist_task_help(helper=friend, task_id=task.pk)
    assert code_of(lambda: assist_task_help(helper=friend, task_id=task.pk)) == "already_helped"

    task.refresh_from_db()
    assert task.progress == 1 and AssistHelp.objects.filter(task=task).count() == 1


def test_unknown_task_and_campaign_are_not_found():
    assert code_of(lambda: assist_task_help(helper=old_user(), task_id=999999)) == "not_found"
    assert code_of(lambda: assist_task_start(user=old_user(), campaign_id=999999)) == "not_found"
    inactive = AssistCampaignFactory(is_active=False)
    assert code_of(lambda: assist_task_start(user=old_user(), campaign_id=inactive.pk)) == "not_found"


def test_a_campaign_outside_its_window_is_closed():
    campaign = AssistCampaignFactory(starts_at=now() + dt.timedelta(days=1))
    assert code_of(lambda: assist_task_start(user=old_user(), campaign_id=campaign.pk)) == "campaign_closed"


def test_starting_again_returns_the_open_task_and_the_limit_counts_finished_ones():
    campaign = AssistCampaignFactory(helpers_required=1, tasks_per_user=1)
    starter = old_user()
    first, created = assist_task_start(user=starter, campaign_id=campaign.pk)
    again, created_again = assist_task_start(user=starter, campaign_id=campaign.pk)
    assert created and not created_again and again.pk == first.pk

    assist_task_help(helper=old_user(), task_id=first.pk)  # completed
    assert code_of(lambda: assist_task_start(user=starter, campaign_id=campaign.pk)) == "limit_reached"


def test_an_expired_task_does_not_count_toward_the_limit():
    campaign = AssistCampaignFactory(tasks_per_user=1, time_limit_hours=48)
    starter = old_user()
    first, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    with time_machine.travel(now() + dt.timedelta(hours=49)):
        # Its deadline passed before any sweep: starting again expires it and opens a new one.
        second, created = assist_task_start(user=starter, campaign_id=campaign.pk)
    first.refresh_from_db()
    assert created and second.pk != first.pk and first.status == AssistTask.Status.EXPIRED


# -- deadlines ----------------------------------------------------------------------------------


def test_a_help_after_the_deadline_is_refused_even_before_the_sweep():
    campaign = AssistCampaignFactory(time_limit_hours=48)
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    with time_machine.travel(task.expires_at + dt.timedelta(seconds=1)):
        assert code_of(lambda: assist_task_help(helper=old_user(), task_id=task.pk)) == "task_closed"
    task.refresh_from_db()
    assert task.progress == 0


def test_expiry_runs_once_and_a_late_expiry_finds_nothing_to_do():
    campaign = AssistCampaignFactory(helpers_required=1)
    expiring, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    completed, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    assist_task_help(helper=old_user(), task_id=completed.pk)

    assert assist_task_expire(task_id=expiring.pk) is False  # not due yet
    with time_machine.travel(expiring.expires_at + dt.timedelta(minutes=1)):
        assert assist_task_expire(task_id=expiring.pk) is True
        assert assist_task_expire(task_id=expiring.pk) is False
        assert assist_task_expire(task_id=completed.pk) is False  # finished before its deadline
        assert assists_expire_due() == 0
    expiring.refresh_from_db()
    completed.refresh_from_db()
    assert expiring.status == AssistTask.Status.EXPIRED
    assert completed.status == AssistTask.Status.COMPLETED


def test_run_nightly_sweeps_tasks_past_their_deadline():
    assert {"assists_expire_due", "assists_expire_due_nightly"} <= {job.name for job in all_jobs()}
    campaign = AssistCampaignFactory()
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    with time_machine.travel(task.expires_at + dt.timedelta(hours=1)):
        call_command("run_nightly", only=["assists_expire_due_nightly"])
    task.refresh_from_db()
    assert task.status == AssistTask.Status.EXPIRED


# -- assist paid in a product -------------------------------------------------------------------


def product_campaign(**kwargs):
    product = ProductFactory(price=199, stock=2, per_user_limit=1)
    return AssistCampaignFactory(reward_kind="product", reward_points=0, product=product, **kwargs), product


def test_a_product_reward_is_reserved_at_start_and_fulfilled_at_completion():
    campaign, product = product_campaign(helpers_required=2)
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    product.refresh_from_db()
    order = Order.objects.get(pk=task.order_id)
    assert product.stock == 1
    assert (order.status, order.points, order.user_id) == (Order.Status.AWAITING_ASSIST, 0, starter.pk)

    help_by(task, 2)
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED
    assert Coupon.objects.filter(order=order, user=starter, status=Coupon.Status.UNUSED).count() == 1
    assert wallet_balance(user=starter) == 0  # a reward: nothing was debited
    assert ledger_audit().ok


def test_an_expired_product_task_returns_its_stock():
    campaign, product = product_campaign()
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    with time_machine.travel(task.expires_at + dt.timedelta(minutes=1)):
        assert assists_expire_due() == 1
    product.refresh_from_db()
    assert product.stock == 2
    assert Order.objects.get(pk=task.order_id).status == Order.Status.CANCELLED


def test_a_product_reward_respects_stock_and_the_per_user_limit():
    campaign, _product = product_campaign(helpers_required=1, tasks_per_user=0)
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assist_task_help(helper=old_user(), task_id=task.pk)
    # One per user: the completed reward counts.
    assert code_of(lambda: assist_task_start(user=starter, campaign_id=campaign.pk)) == "limit_reached"
    assist_task_start(user=old_user(), campaign_id=campaign.pk)  # takes the last unit
    assert code_of(lambda: assist_task_start(user=old_user(), campaign_id=campaign.pk)) == "out_of_stock"
    assert AssistTask.objects.filter(campaign=campaign).count() == 2


def test_a_waiting_reward_order_cannot_be_cancelled_by_its_owner():
    from mall.services import redemption_cancel

    campaign, _product = product_campaign()
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    order = Order.objects.get(pk=task.order_id)
    assert code_of(lambda: redemption_cancel(order=order, actor=starter, by_customer=True)) == "invalid_state"


def test_a_fulfilled_reward_voucher_cancels_without_a_refund():
    from mall.services import redemption_cancel

    campaign, product = product_campaign(helpers_required=1)
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assist_task_help(helper=old_user(), task_id=task.pk)
    order = redemption_cancel(order=Order.objects.get(pk=task.order_id), actor=starter, by_customer=True)
    product.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.refund is None
    assert product.stock == 2 and wallet_balance(user=starter) == 0
    assert ledger_audit().ok


# -- helpers: daily limit, new users, attribution -----------------------------------------------


def test_a_helper_may_help_only_so_many_tasks_a_day():
    campaign = AssistCampaignFactory(helps_per_day=2)
    helper = old_user()
    tasks = [assist_task_start(user=old_user(), campaign_id=campaign.pk)[0] for _ in range(3)]
    assist_task_help(helper=helper, task_id=tasks[0].pk)
    assist_task_help(helper=helper, task_id=tasks[1].pk)
    assert code_of(lambda: assist_task_help(helper=helper, task_id=tasks[2].pk)) == "help_limit_reached"
    with time_machine.travel(now() + dt.timedelta(days=1)):
        assert assist_task_help(helper=helper, task_id=tasks[2].pk).progress == 1


def test_new_users_count_double_when_the_campaign_says_so():
    campaign = AssistCampaignFactory(helpers_required=3, new_user_counts_double=True, reward_points=30)
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    task = assist_task_help(helper=UserFactory(), task_id=task.pk)  # registered just now
    assert task.progress == 2
    task = assist_task_help(helper=UserFactory(), task_id=task.pk)  # would count 2, only 1 is missing
    assert task.progress == 3 and task.status == AssistTask.Status.COMPLETED
    assert list(AssistHelp.objects.filter(task=task).values_list("weight", flat=True)) == [2, 1]
    assert wallet_balance(user=starter) == 30


def test_old_users_count_once_even_when_new_users_count_double():
    campaign = AssistCampaignFactory(helpers_required=3, new_user_counts_double=True)
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    assert assist_task_help(helper=old_user(), task_id=task.pk).progress == 1


def test_a_new_helper_is_bound_to_the_starter_as_invitee():
    campaign = AssistCampaignFactory()
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    newcomer, veteran = UserFactory(), old_user()
    assist_task_help(helper=newcomer, task_id=task.pk)
    assist_task_help(helper=veteran, task_id=task.pk)

    bound = Referral.objects.get(invitee=newcomer)
    assert bound.inviter_id == starter.pk
    assert AssistHelp.objects.get(helper=newcomer).referral_id == bound.pk
    assert not Referral.objects.filter(invitee=veteran).exists()
    assert AssistHelp.objects.get(helper=veteran).referral_id is None


def test_a_new_helper_with_an_inviter_already_is_not_rebound():
    campaign = AssistCampaignFactory()
    first_inviter, starter, newcomer = old_user(), old_user(), UserFactory()
    Referral.objects.create(inviter=first_inviter, invitee=newcomer)
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assist_task_help(helper=newcomer, task_id=task.pk)
    assert Referral.objects.get(invitee=newcomer).inviter_id == first_inviter.pk


# -- bargain ------------------------------------------------------------------------------------


@given(
    total=st.integers(min_value=0, max_value=100_000),
    slots=st.integers(min_value=1, max_value=100),
    seed=st.text(max_size=10),
)
def test_bargain_cuts_add_up_to_the_total_and_are_reproducible(total, slots, seed):
    cuts = bargain_cuts(total=total, slots=slots, seed=seed)
    assert len(cuts) == slots
    assert sum(cuts) == total
    assert all(cut >= 0 for cut in cuts)
    if total >= slots:
        assert all(cut >= 1 for cut in cuts)
    assert bargain_cuts(total=total, slots=slots, seed=seed) == cuts


def test_each_help_cuts_the_price_and_the_last_reaches_the_floor():
    campaign = BargainCampaignFactory()  # 200 down to 20, 4 helpers
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assert (task.start_price, task.current_price, task.floor_price) == (200, 200, 20)

    expected = bargain_cuts(total=180, slots=4, seed=f"bargain-test:{task.pk}")
    prices = []
    for _n in range(4):
        task = assist_task_help(helper=old_user(), task_id=task.pk)
        prices.append(task.current_price)
    assert list(AssistHelp.objects.filter(task=task).values_list("cut", flat=True)) == expected
    assert prices == [200 - sum(expected[: i + 1]) for i in range(4)]
    assert prices[-1] == 20 and task.status == AssistTask.Status.COMPLETED
    assert not Transaction.objects.filter(kind=Transaction.Kind.ASSIST_REWARD).exists()


def test_the_starter_redeems_once_at_the_reduced_price():
    campaign = BargainCampaignFactory()
    starter = old_user()
    give_points(starter, 500)
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    task, _helpers = help_by(task, 2)
    price = task.current_price
    assert 20 < price < 200

    order = assist_bargain_redeem(user=starter, task_id=task.pk)
    assert (order.points, order.status) == (price, Order.Status.FULFILLED)
    assert wallet_balance(user=starter) == 500 - price
    assert Coupon.objects.filter(order=order).count() == 1
    again = assist_bargain_redeem(user=starter, task_id=task.pk)
    assert again.pk == order.pk and getattr(again, "replayed", False)
    assert wallet_balance(user=starter) == 500 - price

    task.refresh_from_db()
    assert task.status == AssistTask.Status.REDEEMED
    assert code_of(lambda: assist_task_help(helper=old_user(), task_id=task.pk)) == "task_closed"
    campaign.product.refresh_from_db()
    assert campaign.product.stock == 9
    assert ledger_audit().ok


def test_a_bargain_redemption_without_enough_points_changes_nothing():
    campaign = BargainCampaignFactory()
    starter = old_user()
    give_points(starter, 10)
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assert code_of(lambda: assist_bargain_redeem(user=starter, task_id=task.pk)) == "insufficient_points"
    task.refresh_from_db()
    campaign.product.refresh_from_db()
    assert task.status == AssistTask.Status.OPEN and campaign.product.stock == 10
    assert not Order.objects.exists() and wallet_balance(user=starter) == 10


def test_only_the_starter_redeems_and_not_after_the_deadline():
    campaign = BargainCampaignFactory()
    starter = old_user()
    give_points(starter, 500)
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assert code_of(lambda: assist_bargain_redeem(user=old_user(), task_id=task.pk)) == "not_found"
    with time_machine.travel(task.expires_at + dt.timedelta(seconds=1)):
        assert code_of(lambda: assist_bargain_redeem(user=starter, task_id=task.pk)) == "task_closed"
        assert assists_expire_due() == 1
    assert wallet_balance(user=starter) == 500


def test_a_bargain_at_its_floor_still_expires_if_not_bought():
    campaign = BargainCampaignFactory(helpers_required=1)
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    task = assist_task_help(helper=old_user(), task_id=task.pk)
    assert task.status == AssistTask.Status.COMPLETED
    with time_machine.travel(task.expires_at + dt.timedelta(seconds=1)):
        assert assists_expire_due() == 1
    task.refresh_from_db()
    assert task.status == AssistTask.Status.EXPIRED


def test_a_free_floor_is_bought_without_a_ledger_posting():
    campaign = BargainCampaignFactory(floor_price=0, helpers_required=1)
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assist_task_help(helper=old_user(), task_id=task.pk)
    order = assist_bargain_redeem(user=starter, task_id=task.pk)
    assert order.points == 0 and order.transaction is None
    assert ledger_audit().ok


def test_each_help_records_a_helped_event():
    from events.models import Event

    campaign = AssistCampaignFactory()
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    helper = old_user()
    assist_task_help(helper=helper, task_id=task.pk)
    assert list(Event.objects.filter(kind="helped").values_list("user_id", "ref")) == [(helper.pk, f"assist:{task.pk}")]
