"""Friends opening a share at the same moment: real threads on PostgreSQL; the sharer is paid up to
the task's daily cap, each friend once, and the ledger stays clean."""

import pytest

from points.models import PointsTask, TaskCompletion
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from referral.models import ShareOpen
from referral.services import referral_profile_ensure, referral_scan_record
from tests.factories import UserFactory
from tests.reliability.helpers import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_friends_opening_at_once_pay_the_sharer_up_to_the_cap():
    PointsTask.objects.create(
        code="share_opened", title="好友打开你的分享", points=5, frequency="unlimited", daily_cap=3
    )
    sharer = UserFactory()
    profile = referral_profile_ensure(user=sharer)

    def open_as(client, agent):
        return referral_scan_record(code=profile.code, profile=profile, channel=None, user_agent=agent, client=client)

    # six distinct friends, and the first of them three more times from another tab
    calls = [lambda n=n: open_as(f"10.0.0.{n}", "WeChat") for n in range(6)]
    calls += [lambda: open_as("10.0.0.0", "WeChat") for _ in range(3)]
    run_together(*calls)

    assert ShareOpen.objects.filter(sharer=sharer).count() == 6
    assert TaskCompletion.objects.filter(user=sharer, task__code="share_opened").count() == 3
    assert wallet_balance(user=sharer) == 15
    assert ledger_audit().ok
