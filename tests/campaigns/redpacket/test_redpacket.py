import datetime as dt

import pytest
import time_machine

from campaigns.redpacket.models import RedPacket, RedPacketOpen
from campaigns.redpacket.services import (
    KIND_PAID,
    KIND_SHARE,
    redpacket_expire,
    redpacket_open,
    redpacket_start,
    redpackets_expire_due,
)
from core.clock import now
from core.exceptions import ApplicationError
from core.jobs import all_jobs
from points.models import Transaction
from points.selectors import wallet_balance
from points.services.audit import ledger_audit
from referral.models import Referral, RewardRule
from tests.campaigns.redpacket.factories import RedPacketCampaignFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def old_user(**kwargs):
    """A user who registered days ago: not new to the mini-program."""
    return UserFactory(date_joined=now() - dt.timedelta(days=3), **kwargs)


def code_of(call) -> str:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value.code


def test_friends_get_their_shares_at_once_and_the_last_one_pays_the_starter():
    campaign = RedPacketCampaignFactory(amount=50, helpers_needed=3, pool=30)
    starter = old_user()
    packet, created = redpacket_start(user=starter, campaign_id=campaign.pk)
    assert created and packet.status == RedPacket.Status.OPEN and packet.scene == f"p={packet.pk}"
    assert Transaction.objects.count() == 0  # nothing reserved

    friends = [old_user() for _ in range(3)]
    results = [redpacket_open(helper=friend, packet_id=packet.pk) for friend in friends]
    for friend, result in zip(friends, results, strict=True):
        assert result.opened.bonus == 0 and result.opened.amount >= 1
        assert wallet_balance(user=friend) == result.opened.amount == result.balance
    assert [r.packet.status for r in results] == ["open", "open", "paid"]

    packet.refresh_from_db()
    assert packet.status == RedPacket.Status.PAID and packet.paid_at is not None
    assert (packet.helpers, packet.pool_paid) == (3, 30)
    assert sum(RedPacketOpen.objects.filter(packet=packet).values_list("amount", flat=True)) == 30
    assert wallet_balance(user=starter) == 50
    assert packet.reward_transaction.key == f"redpacket:paid:{packet.pk}"
    assert Transaction.objects.filter(kind=KIND_PAID).count() == 1
    assert Transaction.objects.filter(kind=KIND_SHARE).count() == 3

    # A fourth friend finds it filled; nothing more is paid.
    assert code_of(lambda: redpacket_open(helper=old_user(), packet_id=packet.pk)) == "packet_closed"
    assert wallet_balance(user=starter) == 50
    assert ledger_audit().ok


def test_the_starter_gets_nothing_until_the_packet_is_filled():
    campaign = RedPacketCampaignFactory(helpers_needed=3)
    starter = old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    redpacket_open(helper=old_user(), packet_id=packet.pk)
    redpacket_open(helper=old_user(), packet_id=packet.pk)
    assert wallet_balance(user=starter) == 0


def test_own_repeat_and_unknown_opens_are_refused_and_change_nothing():
    campaign = RedPacketCampaignFactory()
    starter, friend = old_user(), old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)

    assert code_of(lambda: redpacket_open(helper=starter, packet_id=packet.pk)) == "cannot_open_own"
    redpacket_open(helper=friend, packet_id=packet.pk)
    balance = wallet_balance(user=friend)
    assert code_of(lambda: redpacket_open(helper=friend, packet_id=packet.pk)) == "already_opened"
    assert wallet_balance(user=friend) == balance
    assert code_of(lambda: redpacket_open(helper=friend, packet_id=packet.pk + 1000)) == "not_found"
    assert RedPacketOpen.objects.count() == 1
    assert ledger_audit().ok


def test_a_second_start_returns_the_open_packet():
    campaign = RedPacketCampaignFactory()
    starter = old_user()
    first, created = redpacket_start(user=starter, campaign_id=campaign.pk)
    again, created_again = redpacket_start(user=starter, campaign_id=campaign.pk)
    assert created and not created_again and again.pk == first.pk


def test_closed_unknown_and_limited_campaigns_refuse_a_start():
    starter = old_user()
    off = RedPacketCampaignFactory(is_active=False)
    assert code_of(lambda: redpacket_start(user=starter, campaign_id=off.pk)) == "not_found"
    later = RedPacketCampaignFactory(starts_at=now() + dt.timedelta(days=1))
    assert code_of(lambda: redpacket_start(user=starter, campaign_id=later.pk)) == "campaign_closed"

    limited = RedPacketCampaignFactory(packets_per_user=1, helpers_needed=1, pool=5)
    packet, _ = redpacket_start(user=starter, campaign_id=limited.pk)
    redpacket_open(helper=old_user(), packet_id=packet.pk)  # paid: a new packet would be a second
    assert code_of(lambda: redpacket_start(user=starter, campaign_id=limited.pk)) == "limit_reached"


def test_an_unfilled_packet_expires_and_pays_the_starter_nothing():
    campaign = RedPacketCampaignFactory(helpers_needed=3, time_limit_hours=24)
    starter, friend = old_user(), old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    share = redpacket_open(helper=friend, packet_id=packet.pk).opened.amount

    assert redpacket_expire(packet_id=packet.pk) is False  # not due yet
    with time_machine.travel(packet.expires_at + dt.timedelta(seconds=1)):
        # Past the deadline an open is refused, even before the sweep.
        assert code_of(lambda: redpacket_open(helper=old_user(), packet_id=packet.pk)) == "packet_closed"
        assert redpackets_expire_due() == 1
        assert redpackets_expire_due() == 0
    packet.refresh_from_db()
    assert packet.status == RedPacket.Status.EXPIRED and packet.closed_at is not None
    assert wallet_balance(user=starter) == 0
    assert wallet_balance(user=friend) == share  # the helper keeps the share
    assert not Transaction.objects.filter(kind=KIND_PAID).exists()
    assert ledger_audit().ok


def test_a_start_after_the_deadline_expires_the_old_packet_and_opens_a_new_one():
    campaign = RedPacketCampaignFactory(time_limit_hours=1)
    starter = old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    with time_machine.travel(packet.expires_at + dt.timedelta(minutes=1)):
        fresh, created = redpacket_start(user=starter, campaign_id=campaign.pk)
    assert created and fresh.pk != packet.pk
    packet.refresh_from_db()
    assert packet.status == RedPacket.Status.EXPIRED


def test_the_operators_close_expires_an_open_packet_only():
    campaign = RedPacketCampaignFactory(helpers_needed=1, pool=3)
    open_packet, _ = redpacket_start(user=old_user(), campaign_id=campaign.pk)
    paid, _ = redpacket_start(user=old_user(), campaign_id=campaign.pk)
    redpacket_open(helper=old_user(), packet_id=paid.pk)
    assert redpacket_expire(packet_id=open_packet.pk, force=True) is True
    assert redpacket_expire(packet_id=paid.pk, force=True) is False
    paid.refresh_from_db()
    assert paid.status == RedPacket.Status.PAID


def test_a_new_friend_gets_the_bonus_and_is_bound_to_the_starter():
    RewardRule.objects.create(
        name="registered",
        trigger=RewardRule.Trigger.REGISTERED,
        inviter_points=5,
        invitee_points=7,
        requires_phone=False,
        qualifies=False,
    )
    campaign = RedPacketCampaignFactory(new_user_bonus=10)
    starter = old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    newcomer, veteran = UserFactory(), old_user()

    fresh = redpacket_open(helper=newcomer, packet_id=packet.pk)
    seasoned = redpacket_open(helper=veteran, packet_id=packet.pk)

    assert fresh.opened.bonus == 10 and seasoned.opened.bonus == 0
    bound = Referral.objects.get(invitee=newcomer)
    assert bound.inviter_id == starter.pk and fresh.opened.referral_id == bound.pk
    assert not Referral.objects.filter(invitee=veteran).exists() and seasoned.opened.referral_id is None
    # The share, the bonus and the binding's registration reward all reached the newcomer.
    assert wallet_balance(user=newcomer) == fresh.opened.amount + 10 + 7 == fresh.balance
    assert wallet_balance(user=starter) == 5
    assert ledger_audit().ok


def test_a_new_friend_with_an_inviter_already_is_not_rebound():
    campaign = RedPacketCampaignFactory()
    first_inviter, starter, newcomer = old_user(), old_user(), UserFactory()
    Referral.objects.create(inviter=first_inviter, invitee=newcomer)
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    redpacket_open(helper=newcomer, packet_id=packet.pk)
    assert Referral.objects.get(invitee=newcomer).inviter_id == first_inviter.pk


def test_the_daily_open_limit_counts_packets_of_the_campaign():
    campaign = RedPacketCampaignFactory(opens_per_day=2)
    helper = old_user()
    packets = [redpacket_start(user=old_user(), campaign_id=campaign.pk)[0] for _ in range(3)]
    redpacket_open(helper=helper, packet_id=packets[0].pk)
    redpacket_open(helper=helper, packet_id=packets[1].pk)
    assert code_of(lambda: redpacket_open(helper=helper, packet_id=packets[2].pk)) == "open_limit_reached"


def test_a_packet_of_a_member_who_left_is_closed():
    campaign = RedPacketCampaignFactory()
    starter = old_user()
    packet, _ = redpacket_start(user=starter, campaign_id=campaign.pk)
    type(starter).objects.filter(pk=starter.pk).update(is_active=False)
    assert code_of(lambda: redpacket_open(helper=old_user(), packet_id=packet.pk)) == "packet_closed"


def test_the_deadline_is_queued_and_swept():
    names = {job.task for job in all_jobs()}
    assert "campaigns.tasks.redpackets_expire_due_task" in names
