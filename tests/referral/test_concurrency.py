"""Races against PostgreSQL with real threads: each reward is paid once whatever arrives together."""

import pytest
from django.core.management import call_command

from accounts.services import user_verify_phone
from core.models import User
from points.models import Transaction
from points.selectors import wallet_balance
from referral.models import Reward
from referral.services import referral_trigger
from tests.referral.factories import RuleFactory, UserFactory, invite, next_phone
from tests.reliability.helpers import race, run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_two_concurrent_phone_verifications_pay_once():
    RuleFactory(inviter_points=50, invitee_points=20)
    inviter = UserFactory()
    friend = invite(inviter)
    phone = next_phone()

    run_together(*[lambda: user_verify_phone(user=friend, code=phone) for _ in range(2)])

    assert wallet_balance(user=inviter) == 50
    assert wallet_balance(user=friend) == 20
    assert Reward.objects.count() == 1
    assert Transaction.objects.filter(kind="referral_reward").count() == 2
    call_command("audit_ledger")


def test_concurrent_triggers_for_one_friend_pay_once():
    RuleFactory(inviter_points=50, invitee_points=20)
    inviter = UserFactory()
    friend = invite(inviter)
    # The phone is verified; the trigger then arrives four times at once (say, from retried jobs).
    type(friend).objects.filter(pk=friend.pk).update(phone=next_phone(), phone_verified=True)

    run_together(*[lambda: referral_trigger(user=friend, trigger="phone_verified") for _ in range(4)])

    assert Reward.objects.count() == 1
    assert wallet_balance(user=inviter) == 50
    assert wallet_balance(user=friend) == 20
    call_command("audit_ledger")


def test_two_accounts_with_one_phone_verifying_together_count_once():
    RuleFactory(inviter_points=50, invitee_points=20)
    inviter = UserFactory()
    first, second = invite(inviter), invite(inviter)
    phone = next_phone()

    outcomes = race(
        lambda: user_verify_phone(user=first, code=phone),
        lambda: user_verify_phone(user=second, code=phone),
    )

    assert sorted(outcomes) == ["ok", "phone_in_use"]  # the database's one-account constraint decides
    assert wallet_balance(user=inviter) == 50
    assert Reward.objects.filter(status=Reward.Status.PAID).count() == 1
    assert User.objects.filter(phone=phone, phone_verified=True).count() == 1
    call_command("audit_ledger")


def test_the_lifetime_cap_holds_when_friends_qualify_together():
    RuleFactory(inviter_points=50, invitee_points=20, lifetime_cap=2)
    inviter = UserFactory()
    friends = [invite(inviter) for _ in range(4)]

    run_together(*[lambda f=f: user_verify_phone(user=f, code=next_phone()) for f in friends])

    assert wallet_balance(user=inviter) == 100
    assert all(wallet_balance(user=f) == 20 for f in friends)
    call_command("audit_ledger")


def test_review_and_new_qualifications_of_one_inviter_do_not_deadlock():
    from referral.models import ReferralConfig, ReferralProfile
    from referral.services import referral_profile_flag_set, referral_reward_approve
    from tests.factories import StaffFactory

    ReferralConfig.objects.create(velocity_limit_per_hour=0)
    RuleFactory(inviter_points=50, invitee_points=20)
    staff = StaffFactory()
    inviter = UserFactory()
    held_friends = [invite(inviter) for _ in range(3)]
    profile = ReferralProfile.objects.get(user=inviter)
    referral_profile_flag_set(profile=profile, flagged=True, actor=staff)
    for friend in held_friends:
        user_verify_phone(user=friend, code=next_phone())
    referral_profile_flag_set(profile=profile, flagged=False, actor=staff)
    held = list(Reward.objects.filter(status=Reward.Status.HELD))
    new_friends = [invite(inviter) for _ in range(3)]
    assert len(held) == 3

    run_together(
        *[lambda r=r: referral_reward_approve(reward=r, actor=staff) for r in held],
        *[lambda f=f: user_verify_phone(user=f, code=next_phone()) for f in new_friends],
    )

    assert Reward.objects.filter(status=Reward.Status.PAID).count() == 6
    assert wallet_balance(user=inviter) == 300
    assert ReferralProfile.objects.get(user=inviter).qualified_count == 6
    call_command("audit_ledger")
