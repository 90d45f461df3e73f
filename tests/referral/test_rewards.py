import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from core.exceptions import ApplicationError
from points.models import Transaction
from points.selectors import wallet_balance
from referral.models import MilestoneAward, Referral, ReferralConfig, ReferralProfile, Reward, RewardRule
from referral.selectors import inviter_rewarded_points, referral_leaderboard
from referral.services import (
    referral_flag_inactive_inviters,
    referral_profile_flag_set,
    referral_reward_approve,
    referral_reward_clawback,
    referral_reward_reject,
    referral_trigger,
)
from tests.factories import StaffFactory
from tests.referral.factories import MilestoneFactory, RuleFactory, UserFactory, invite, next_phone, verify_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule():
    return RuleFactory(inviter_points=50, invitee_points=20)


@pytest.fixture
def inviter():
    return UserFactory()


def referral_points(user) -> int:
    return wallet_balance(user=user)


def test_phone_verification_pays_both_once(rule, inviter):
    friend = invite(inviter)

    verify_phone(friend)
    again = referral_trigger(user=friend, trigger="phone_verified")

    assert again == []
    assert referral_points(inviter) == 50
    assert referral_points(friend) == 20
    reward = Reward.objects.get()
    assert reward.status == Reward.Status.PAID
    assert Transaction.objects.filter(key=f"referral:{reward.referral_id}:{rule.pk}:inviter").count() == 1
    assert Transaction.objects.filter(key=f"referral:{reward.referral_id}:{rule.pk}:invitee").count() == 1
    assert Referral.objects.get(invitee=friend).status == Referral.Status.QUALIFIED
    assert ReferralProfile.objects.get(user=inviter).qualified_count == 1
    assert inviter_rewarded_points(user=inviter) == 50


def test_the_default_trigger_needs_a_verified_phone(rule, inviter):
    friend = invite(inviter)

    assert referral_trigger(user=friend, trigger="phone_verified") == []  # no phone yet
    assert referral_points(inviter) == 0
    assert not Reward.objects.exists()


def test_registered_rule_without_phone_pays_at_login(inviter):
    RuleFactory(trigger=RewardRule.Trigger.REGISTERED, requires_phone=False, qualifies=False, inviter_points=5)

    friend = invite(inviter)

    assert referral_points(inviter) == 5 and referral_points(friend) == 20
    # A non-qualifying rule pays but does not make a qualified invite.
    assert Referral.objects.get(invitee=friend).status == Referral.Status.REGISTERED


def test_a_user_nobody_invited_gets_nothing(rule):
    loner = UserFactory()

    verify_phone(loner)

    assert not Reward.objects.exists()


def test_one_phone_number_counts_once_across_accounts(rule, inviter):
    first = invite(inviter)
    second = invite(inviter)
    phone = next_phone()

    verify_phone(first, phone)
    with pytest.raises(ApplicationError) as refused:  # a verified number belongs to one account
        verify_phone(second, phone)

    assert refused.value.code == "phone_in_use" and refused.value.status == 409
    assert referral_points(inviter) == 50
    assert not Reward.objects.filter(referral__invitee=second).exists()
    second.refresh_from_db()
    assert not second.phone_verified


def test_the_inviters_own_verified_phone_cannot_be_verified_by_the_friend(rule, inviter):
    phone = next_phone()
    verify_phone(inviter, phone)
    friend = invite(inviter)

    with pytest.raises(ApplicationError):
        verify_phone(friend, phone)

    assert referral_points(inviter) == 0
    assert not Reward.objects.exists()


def test_the_inviters_unverified_phone_does_not_count(rule, inviter):
    phone = next_phone()
    inviter.phone = phone  # typed in somewhere, never verified: the constraint does not hold it
    inviter.save(update_fields=["phone"])
    friend = invite(inviter)

    verify_phone(friend, phone)

    assert referral_points(inviter) == 0
    assert Reward.objects.get().reason == Reward.Reason.DUPLICATE_PHONE


def test_rules_outside_their_period_or_inactive_pay_nothing(inviter):
    with time_machine.travel("2026-05-10 12:00 +0800", tick=False):
        RuleFactory(starts_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
        RuleFactory(ends_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
        RuleFactory(is_active=False)
        friend = invite(inviter)
        verify_phone(friend)

    assert referral_points(inviter) == 0


def test_lifetime_cap_stops_inviter_points_not_the_friends(inviter):
    RuleFactory(lifetime_cap=2, inviter_points=50, invitee_points=20)
    friends = [invite(inviter) for _ in range(3)]

    for friend in friends:
        verify_phone(friend)

    assert referral_points(inviter) == 100
    assert all(referral_points(friend) == 20 for friend in friends)
    capped = Reward.objects.get(referral__invitee=friends[2])
    assert capped.capped and capped.inviter_points == 0
    # Still a qualified invite: the cap limits points, not the leaderboard.
    assert ReferralProfile.objects.get(user=inviter).qualified_count == 3


def test_daily_cap_counts_local_days(inviter):
    RuleFactory(daily_cap=1, inviter_points=50)
    with time_machine.travel("2026-03-01 23:50 +0800", tick=False):
        verify_phone(invite(inviter))
        verify_phone(invite(inviter))
    assert referral_points(inviter) == 50
    with time_machine.travel("2026-03-02 00:10 +0800", tick=False):
        verify_phone(invite(inviter))

    assert referral_points(inviter) == 100


def test_milestone_ladder_pays_each_step_once(rule, inviter):
    ReferralConfig.objects.create(velocity_limit_per_hour=0)  # no hourly limit (the default is 5)
    for friends, points in [(3, 100), (5, 200)]:
        MilestoneFactory(rule=rule, friends=friends, points=points)

    balances = []
    for _ in range(6):
        verify_phone(invite(inviter))
        balances.append(referral_points(inviter))

    assert balances == [50, 100, 250, 300, 550, 600]
    assert MilestoneAward.objects.filter(inviter=inviter).count() == 2
    assert inviter_rewarded_points(user=inviter) == 600
    keys = set(Transaction.objects.filter(key__startswith="referral:milestone:").values_list("key", flat=True))
    assert len(keys) == 2


def test_clawback_takes_back_a_refunded_first_redemption_reward(inviter):
    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=10)
    friend = invite(inviter)
    verify_phone(friend)
    referral_trigger(user=friend, trigger="first_redemption")
    assert referral_points(inviter) == 30 and referral_points(friend) == 10

    clawed = referral_reward_clawback(user=friend, trigger="first_redemption")
    twice = referral_reward_clawback(user=friend, trigger="first_redemption")

    assert len(clawed) == 1 and twice == []
    assert referral_points(inviter) == 0 and referral_points(friend) == 0
    reward = Reward.objects.get()
    assert reward.status == Reward.Status.CLAWED_BACK and reward.inviter_clawed == 30 and reward.invitee_clawed == 10
    assert Referral.objects.get(invitee=friend).status == Referral.Status.REVOKED
    assert ReferralProfile.objects.get(user=inviter).qualified_count == 0
    assert inviter_rewarded_points(user=inviter) == 0
    # A revoked referral earns nothing more.
    assert referral_trigger(user=friend, trigger="first_redemption") == []
    call_command("audit_ledger")


def test_clawback_never_takes_a_wallet_below_zero(inviter):
    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=0)
    friend = invite(inviter)
    verify_phone(friend)
    referral_trigger(user=friend, trigger="first_redemption")
    # The inviter spent most of it meanwhile.
    from points.services.ledger import account_for_user, account_sink, ledger_post

    ledger_post(kind="redemption", key="spent", legs=[(account_for_user(inviter), -25), (account_sink(), 25)])

    referral_reward_clawback(user=friend, trigger="first_redemption")

    assert referral_points(inviter) == 0
    assert Reward.objects.get().inviter_clawed == 5


def test_clawback_keeps_a_referral_qualified_by_another_rule(rule, inviter):
    RuleFactory(trigger=RewardRule.Trigger.FIRST_REDEMPTION, inviter_points=30, invitee_points=0)
    friend = invite(inviter)
    verify_phone(friend)
    referral_trigger(user=friend, trigger="first_redemption")

    referral_reward_clawback(user=friend, trigger="first_redemption")

    assert Referral.objects.get(invitee=friend).status == Referral.Status.QUALIFIED
    assert referral_points(inviter) == 50


# -- anti-fraud: velocity, review, flags ---------------------------------------------------------


def test_beyond_the_hourly_velocity_rewards_are_held_then_approved(rule, inviter):
    ReferralConfig.objects.create(velocity_limit_per_hour=2)
    staff = StaffFactory()
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        friends = [invite(inviter) for _ in range(3)]
        for friend in friends:
            verify_phone(friend)

    assert referral_points(inviter) == 100
    held = Reward.objects.get(referral__invitee=friends[2])
    assert held.status == Reward.Status.HELD and held.reason == Reward.Reason.VELOCITY
    assert referral_points(friends[2]) == 0
    assert Referral.objects.get(invitee=friends[2]).status == Referral.Status.HELD
    assert ReferralProfile.objects.get(user=inviter).qualified_count == 2

    referral_reward_approve(reward=held, actor=staff)

    held.refresh_from_db()
    assert held.status == Reward.Status.PAID and held.reviewed_by == staff
    assert referral_points(inviter) == 150 and referral_points(friends[2]) == 20
    assert ReferralProfile.objects.get(user=inviter).qualified_count == 3
    with pytest.raises(Exception) as refused:
        referral_reward_approve(reward=held, actor=staff)
    assert refused.value.code == "reward_not_held"


def test_an_hour_later_the_velocity_window_has_passed(rule, inviter):
    ReferralConfig.objects.create(velocity_limit_per_hour=1)
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        verify_phone(invite(inviter))
    with time_machine.travel("2026-03-01 11:01 +0800", tick=False):
        verify_phone(invite(inviter))

    assert referral_points(inviter) == 100
    assert not Reward.objects.filter(status=Reward.Status.HELD).exists()


def test_a_rejected_held_reward_pays_nothing(rule, inviter):
    ReferralConfig.objects.create(velocity_limit_per_hour=1)
    verify_phone(invite(inviter))
    friend = invite(inviter)
    verify_phone(friend)
    held = Reward.objects.get(referral__invitee=friend)

    referral_reward_reject(reward=held, actor=StaffFactory())

    held.refresh_from_db()
    assert held.status == Reward.Status.REJECTED and held.reason == Reward.Reason.REVIEW
    assert referral_points(inviter) == 50 and referral_points(friend) == 0
    assert Referral.objects.get(invitee=friend).status == Referral.Status.REJECTED


def test_a_flagged_inviters_rewards_wait_for_review(rule, inviter):
    profile = ReferralProfile.objects.get(user=invite(inviter).referral.inviter)
    referral_profile_flag_set(profile=profile, flagged=True, actor=StaffFactory())
    friend = invite(inviter)

    verify_phone(friend)

    reward = Reward.objects.get(referral__invitee=friend)
    assert reward.status == Reward.Status.HELD and reward.reason == Reward.Reason.FLAGGED
    assert referral_points(inviter) == 0


def test_inviters_whose_invitees_never_become_active_are_flagged(rule):
    ReferralConfig.objects.create(flag_min_invitees=3, flag_after_days=7)
    idle, busy = UserFactory(), UserFactory()
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        for _ in range(3):
            invite(idle)
        busy_friends = [invite(busy) for _ in range(3)]
        verify_phone(busy_friends[0])
    with time_machine.travel("2026-03-05 10:00 +0800", tick=False):
        assert referral_flag_inactive_inviters() == 0  # too early to judge
    with time_machine.travel("2026-03-09 10:00 +0800", tick=False):
        assert referral_flag_inactive_inviters() == 1
        assert referral_flag_inactive_inviters() == 0  # already flagged

    idle_profile = ReferralProfile.objects.get(user=idle)
    assert idle_profile.flagged and idle_profile.flag_reason == "inactive_invitees"
    assert not ReferralProfile.objects.get(user=busy).flagged

    # Staff clear the flag: the same old invitees do not flag the inviter again.
    referral_profile_flag_set(profile=idle_profile, flagged=False, actor=StaffFactory())
    with time_machine.travel("2026-03-10 10:00 +0800", tick=False):
        assert referral_flag_inactive_inviters() == 0


def test_leaderboard_ranks_by_qualified_invites_ties_to_the_earlier(rule):
    a, b, c = UserFactory(nickname="甲"), UserFactory(nickname="乙"), UserFactory(nickname="丙")
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        verify_phone(invite(b))
    with time_machine.travel("2026-03-01 11:00 +0800", tick=False):
        verify_phone(invite(a))
        verify_phone(invite(a))
    with time_machine.travel("2026-03-01 12:00 +0800", tick=False):
        verify_phone(invite(c))
    loner = UserFactory()

    board = referral_leaderboard(user=c, limit=10)

    assert [(e["rank"], e["user"]["nickname"], e["score"]) for e in board["entries"]] == [
        (1, "甲", 2),
        (2, "乙", 1),
        (3, "丙", 1),
    ]
    assert board["me"] == {"rank": 3, "score": 1}
    assert referral_leaderboard(user=loner)["me"] == {"rank": None, "score": 0}
    assert len(referral_leaderboard(user=c, limit=1)["entries"]) == 1


def test_the_invite_task_is_completed_for_the_inviter(rule, inviter, django_capture_on_commit_callbacks):
    from points.models import PointsTask, TaskCompletion

    PointsTask.objects.create(code="invite_friend", title="邀请好友", points=10, frequency="unlimited")

    # The inviter's own task is a reaction in the inviter's own transaction, once this one commits.
    with django_capture_on_commit_callbacks(execute=True):
        verify_phone(invite(inviter))

    assert TaskCompletion.objects.filter(user=inviter, task__code="invite_friend").count() == 1
    assert referral_points(inviter) == 60


def test_unknown_trigger_is_a_programming_error(inviter):
    with pytest.raises(ValueError):
        referral_trigger(user=inviter, trigger="bought_a_car")


def test_without_a_settings_row_the_default_velocity_is_five_an_hour(rule, inviter):
    with time_machine.travel("2026-03-01 10:00 +0800", tick=False):
        for _ in range(6):
            verify_phone(invite(inviter))

    assert list(Reward.objects.order_by("pk").values_list("status", flat=True)) == ["paid"] * 5 + ["held"]
