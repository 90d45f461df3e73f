import threading

import pytest
from django.db import connection

from analytics.models import AutomationGrant, AutomationRule
from analytics.services import automation_period, automation_run, automation_targets, segments_compute
from checkin.models import SubscribeCredit
from mall.models import Coupon
from points.models import Transaction
from points.services.audit import ledger_audit
from points.services.ledger import account_for_user
from tests.analytics.conftest import day
from tests.mall.factories import ProductFactory

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return account_for_user(user).balance


def test_points_go_once_per_user_and_period(history):
    segments_compute(on=day(10))
    rule = AutomationRule.objects.create(name="回归礼", stage="dormant", points=50, period_days=30)
    u7 = history["u7"]

    # A dry run lists the dormant user and gives nothing.
    dry = automation_run(rule=rule, dry_run=True, on=day(11))
    assert [u.pk for u in dry.targets] == [u7.pk]
    assert balance(u7) == 0 and not AutomationGrant.objects.exists()

    first = automation_run(rule=rule, on=day(11))
    again = automation_run(rule=rule, on=day(12))  # same 30-day period
    assert (first.done, again.done) == (1, 0)
    assert balance(u7) == 50
    assert Transaction.objects.filter(kind=Transaction.Kind.AUTOMATION).count() == 1
    assert list(automation_targets(rule=rule, on=day(12))) == []

    # The next period reaches them again.
    period = automation_period(rule=rule, on=day(11))
    next_period = next(day(n) for n in range(12, 50) if automation_period(rule=rule, on=day(n)) == period + 1)
    later = automation_run(rule=rule, on=next_period)
    assert later.done == 1
    assert balance(u7) == 100
    assert ledger_audit().ok


def test_period_zero_means_once_ever(history):
    segments_compute(on=day(10))
    rule = AutomationRule.objects.create(name="新人礼", segment="new", points=20, period_days=0)
    assert automation_run(rule=rule, on=day(11)).done == 1
    assert automation_run(rule=rule, on=day(400)).done == 0
    assert balance(history["u9"]) == 20


def test_voucher_goes_through_the_mall_once(history):
    segments_compute(on=day(10))
    product = ProductFactory(name="新人洗牙券", price=80, stock=5)
    rule = AutomationRule.objects.create(name="新人券", segment="new", action="voucher", product=product)
    automation_run(rule=rule, on=day(11))
    automation_run(rule=rule, on=day(11))
    u9 = history["u9"]
    assert Coupon.objects.filter(user=u9, product=product).count() == 1
    product.refresh_from_db()
    assert product.stock == 4
    assert balance(u9) == 0  # a gift: no points taken
    assert ledger_audit().ok


def test_message_spends_an_acceptance_through_the_adapter(history, wechat):
    segments_compute(on=day(10))
    u7 = history["u7"]
    SubscribeCredit.objects.create(user=u7, template_id="tmpl-winback", credits=1)
    rule = AutomationRule.objects.create(
        name="召回提醒", stage="dormant", action="message", template_id="tmpl-winback", message="好久不见"
    )
    result = automation_run(rule=rule, on=day(11))
    assert result.done == 1
    assert [(m["openid"], m["template_id"]) for m in wechat.sent_messages] == [(u7.openid, "tmpl-winback")]
    assert SubscribeCredit.objects.get(user=u7).credits == 0
    # Without an acceptance left, nothing is sent and nothing recorded for the next period.
    assert automation_run(rule=rule, on=day(11)).done == 0
    assert len(wechat.sent_messages) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_grant_once(history):
    segments_compute(on=day(10))
    rule = AutomationRule.objects.create(name="回归礼", stage="dormant", points=50, period_days=30)
    barrier = threading.Barrier(2)
    done = []

    def run():
        try:
            barrier.wait()
            done.append(automation_run(rule=rule, on=day(11)).done)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(done) == [0, 1]
    assert balance(history["u7"]) == 50
    assert AutomationGrant.objects.count() == 1
    assert ledger_audit().ok
