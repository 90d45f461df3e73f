"""Red packets under real concurrency: threads against PostgreSQL, each scenario ending with a clean audit."""

import datetime as dt

import pytest
import time_machine

from campaigns.redpacket.models import RedPacket, RedPacketOpen
from campaigns.redpacket.services import (
    KIND_PAID,
    KIND_SHARE,
    OpenResult,
    redpacket_expire,
    redpacket_open,
    redpacket_start,
)
from core.clock import now
from points.models import Transaction
from points.selectors import wallet_balance
from referral.models import Referral
from tests.campaigns.redpacket.factories import RedPacketCampaignFactory
from tests.factories import UserFactory
from tests.reliability.helpers import assert_ledger_clean, run_together, while_held

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def old_user():
    return UserFactory(date_joined=now() - dt.timedelta(days=3))


def test_many_friends_opening_at_once_never_overfill_nor_pay_twice():
    campaign = RedPacketCampaignFactory(amount=50, helpers_needed=4, pool=40, opens_per_day=10)
    starter = old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    friends = [old_user() for _ in range(12)]

    results = run_together(*[lambda f=f: redpacket_open(helper=f, packet_id=packet.pk) for f in friends])

    opened = [r for r in results if isinstance(r, OpenResult)]
    assert len(opened) == 4
    assert sorted(r for r in results if not isinstance(r, OpenResult)) == ["packet_closed"] * 8
    packet.refresh_from_db()
    assert packet.status == RedPacket.Status.PAID and (packet.helpers, packet.pool_paid) == (4, 40)
    opens = RedPacketOpen.objects.filter(packet=packet)
    assert sorted(opens.values_list("position", flat=True)) == [1, 2, 3, 4]
    assert sum(opens.values_list("amount", flat=True)) == 40
    assert Transaction.objects.filter(kind=KIND_PAID).count() == 1
    assert Transaction.objects.filter(kind=KIND_SHARE).count() == 4
    assert wallet_balance(user=starter) == 50
    for result in opened:
        assert wallet_balance(user=result.opened.helper) == result.opened.amount
    assert_ledger_clean()


def test_one_friend_tapping_five_times_at_once_opens_once():
    campaign = RedPacketCampaignFactory(helpers_needed=3)
    packet, _ = redpacket_start(user=old_user(), campaign_id=campaign.pk)
    friend = old_user()

    results = run_together(*[lambda: redpacket_open(helper=friend, packet_id=packet.pk) for _ in range(5)])

    assert sum(isinstance(r, OpenResult) for r in results) == 1
    assert sorted(r for r in results if not isinstance(r, OpenResult)) == ["already_opened"] * 4
    assert Transaction.objects.filter(kind=KIND_SHARE).count() == 1
    assert_ledger_clean()


def test_the_daily_open_limit_holds_across_packets_at_once():
    campaign = RedPacketCampaignFactory(opens_per_day=1)
    packets = [redpacket_start(user=old_user(), campaign_id=campaign.pk)[0] for _ in range(4)]
    friend = old_user()

    results = run_together(*[lambda p=p: redpacket_open(helper=friend, packet_id=p.pk) for p in packets])

    assert sum(isinstance(r, OpenResult) for r in results) == 1
    assert sorted(r for r in results if not isinstance(r, OpenResult)) == ["open_limit_reached"] * 3


def test_a_double_tapped_start_opens_one_packet():
    campaign = RedPacketCampaignFactory()
    starter = old_user()

    results = run_together(*[lambda: redpacket_start(user=starter, campaign_id=campaign.pk) for _ in range(5)])

    assert all(isinstance(r, tuple) for r in results), results
    assert len({packet.pk for packet, _created in results}) == 1
    assert RedPacket.objects.filter(user=starter).count() == 1


def test_new_friends_opening_each_others_packets_at_once_bind_without_a_cycle():
    campaign = RedPacketCampaignFactory()
    first, second = UserFactory(), UserFactory()  # both new, neither bound
    packets = [redpacket_start(user=u, campaign_id=campaign.pk)[0] for u in (first, second)]

    results = run_together(
        lambda: redpacket_open(helper=first, packet_id=packets[1].pk),
        lambda: redpacket_open(helper=second, packet_id=packets[0].pk),
    )

    assert all(isinstance(r, OpenResult) for r in results), results
    bound = set(Referral.objects.values_list("invitee_id", "inviter_id"))
    assert len(bound) == 1 and bound <= {(first.pk, second.pk), (second.pk, first.pk)}
    assert_ledger_clean()


@pytest.mark.parametrize("attempt", range(3))
def test_the_last_open_racing_the_expiry_gives_one_outcome(attempt):
    campaign = RedPacketCampaignFactory(helpers_needed=2, pool=10, amount=50)
    starter = old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    redpacket_open(helper=old_user(), packet_id=packet.pk)
    last = old_user()

    with time_machine.travel(packet.expires_at - dt.timedelta(milliseconds=1 + attempt), tick=True):
        results = run_together(
            lambda: redpacket_open(helper=last, packet_id=packet.pk),
            lambda: redpacket_expire(packet_id=packet.pk, force=True),
        )

    packet.refresh_from_db()
    if packet.status == RedPacket.Status.PAID:
        assert results[1] is False and wallet_balance(user=starter) == 50
    else:
        assert packet.status == RedPacket.Status.EXPIRED
        assert results == ["packet_closed", True] and wallet_balance(user=starter) == 0
    assert_ledger_clean()


def test_an_open_in_progress_does_not_hold_up_another_packets_open():
    """Each open locks an issuance account to its commit: one row for every open of the site made
    them go one at a time. A friend's share comes from the issuance shard of their own id."""
    from points.services.ledger import SHARDS

    campaign = RedPacketCampaignFactory(amount=50, helpers_needed=4, pool=40, opens_per_day=10)
    packets = [redpacket_start(user=old_user(), campaign_id=campaign.pk)[0] for _ in range(2)]
    first, second = old_user(), old_user()
    while second.pk % SHARDS == first.pk % SHARDS:
        second = old_user()

    results = while_held(
        lambda: redpacket_open(helper=first, packet_id=packets[0].pk),
        lambda: redpacket_open(helper=second, packet_id=packets[1].pk),
    )

    assert all(isinstance(result, OpenResult) for result in results), results
    assert RedPacketOpen.objects.count() == 2
    assert_ledger_clean()
