"""Assist under real concurrency: threads against PostgreSQL, each scenario ending with a clean audit."""

import datetime as dt

import pytest
import time_machine

from campaigns.assist.models import AssistHelp, AssistTask
from campaigns.assist.services import assist_task_expire, assist_task_help, assist_task_start
from core.clock import now
from mall.models import Order
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from tests.campaigns.assist.factories import AssistCampaignFactory, ProductFactory
from tests.factories import UserFactory
from tests.reliability.helpers import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def old_user():
    return UserFactory(date_joined=now() - dt.timedelta(days=3))


def test_ten_concurrent_helpers_complete_the_task_once():
    campaign = AssistCampaignFactory(helpers_required=3, reward_points=50)
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    helpers = [old_user() for _ in range(10)]

    results = run_together(*[lambda h=h: assist_task_help(helper=h, task_id=task.pk) for h in helpers])

    counted = [r for r in results if isinstance(r, AssistTask)]
    assert len(counted) == 3
    assert sorted(r for r in results if not isinstance(r, AssistTask)) == ["task_closed"] * 7
    task.refresh_from_db()
    assert task.status == AssistTask.Status.COMPLETED and task.progress == 3
    assert AssistHelp.objects.filter(task=task).count() == 3
    assert Transaction.objects.filter(kind=Transaction.Kind.ASSIST_REWARD).count() == 1
    assert wallet_balance(user=starter) == 50
    assert ledger_audit().ok


def test_one_helper_tapping_five_times_at_once_helps_once():
    campaign = AssistCampaignFactory(helpers_required=3)
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)
    helper = old_user()

    results = run_together(*[lambda: assist_task_help(helper=helper, task_id=task.pk) for _ in range(5)])

    assert sum(isinstance(r, AssistTask) for r in results) == 1
    assert sorted(r for r in results if not isinstance(r, AssistTask)) == ["already_helped"] * 4
    task.refresh_from_db()
    assert task.progress == 1


def test_the_daily_help_limit_holds_across_tasks_at_once():
    campaign = AssistCampaignFactory(helps_per_day=1)
    tasks = [assist_task_start(user=old_user(), campaign_id=campaign.pk)[0] for _ in range(4)]
    helper = old_user()

    results = run_together(*[lambda t=t: assist_task_help(helper=helper, task_id=t.pk) for t in tasks])

    assert sum(isinstance(r, AssistTask) for r in results) == 1
    assert sorted(r for r in results if not isinstance(r, AssistTask)) == ["help_limit_reached"] * 3
    assert AssistHelp.objects.filter(helper=helper).count() == 1


def test_a_double_tapped_start_opens_one_task():
    campaign = AssistCampaignFactory()
    starter = old_user()

    results = run_together(*[lambda: assist_task_start(user=starter, campaign_id=campaign.pk) for _ in range(5)])

    assert all(isinstance(r, tuple) for r in results), results
    assert len({task.pk for task, _created in results}) == 1
    assert sum(created for _task, created in results) == 1
    assert AssistTask.objects.filter(user=starter).count() == 1


@pytest.mark.parametrize("attempt", range(4))
def test_the_last_help_racing_the_expiry_gives_one_outcome(attempt):
    product = ProductFactory(price=100, stock=1)
    campaign = AssistCampaignFactory(helpers_required=2, reward_kind="product", reward_points=0, product=product)
    starter = old_user()
    task, _ = assist_task_start(user=starter, campaign_id=campaign.pk)
    assist_task_help(helper=old_user(), task_id=task.pk)
    last_helper = old_user()

    # Just before the deadline (the help's own check is a moment earlier than the expiry's).
    with time_machine.travel(task.expires_at - dt.timedelta(milliseconds=1 + attempt), tick=True):
        results = run_together(
            *[
                lambda: assist_task_help(helper=last_helper, task_id=task.pk),
                lambda: assist_task_expire(task_id=task.pk, force=True),
            ]
        )

    task.refresh_from_db()
    order = Order.objects.get(pk=task.order_id)
    product.refresh_from_db()
    if task.status == AssistTask.Status.COMPLETED:
        assert results[1] is False
        assert order.status == Order.Status.FULFILLED and product.stock == 0
    else:
        assert task.status == AssistTask.Status.EXPIRED
        assert results == ["task_closed", True]
        assert order.status == Order.Status.CANCELLED and product.stock == 1
    assert ledger_audit().ok


def test_expiry_run_twice_at_once_expires_once():
    product = ProductFactory(price=100, stock=3)
    campaign = AssistCampaignFactory(reward_kind="product", reward_points=0, product=product)
    task, _ = assist_task_start(user=old_user(), campaign_id=campaign.pk)

    with time_machine.travel(task.expires_at + dt.timedelta(minutes=1)):
        results = run_together(*[lambda: assist_task_expire(task_id=task.pk) for _ in range(4)])

    assert sorted(results) == [False, False, False, True]
    product.refresh_from_db()
    assert product.stock == 3
