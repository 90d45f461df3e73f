import itertools
from decimal import Decimal

import factory

from accounts.services import user_verify_phone
from referral.codes import scene_for_user
from referral.models import Channel, CommissionRule, Milestone, PosterTemplate, RewardRule
from referral.services import referral_bind_new_user, referral_profile_ensure
from tests.factories import UserFactory as BaseUserFactory

_phones = itertools.count(10_000)


class UserFactory(BaseUserFactory):
    """A mini-program user; no password hashing (they never have one), so hundreds are cheap."""

    password = "!unusable"


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardRule

    name = factory.Sequence(lambda n: f"rule {n}")
    trigger = RewardRule.Trigger.PHONE_VERIFIED
    inviter_points = 50
    invitee_points = 20
    requires_phone = True
    qualifies = True


class CommissionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommissionRule

    name = factory.Sequence(lambda n: f"commission {n}")
    percent = Decimal("10")
    days = 30
    monthly_cap = 0


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    rule = factory.SubFactory(RuleFactory)
    friends = 3
    points = 100


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    code = factory.Sequence(lambda n: f"DESK-{n}")
    name = factory.Sequence(lambda n: f"前台 {n}")
    kind = Channel.Kind.FRONT_DESK


class PosterTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PosterTemplate

    name = factory.Sequence(lambda n: f"template {n}")
    text = "一起来打卡"


def inviter_with_code(**kwargs):
    user = UserFactory(**kwargs)
    return user, referral_profile_ensure(user=user)


def invite(inviter, **kwargs):
    """A brand-new user bound to `inviter` through the inviter's scene, as a login would do."""
    invitee = UserFactory(**kwargs)
    profile = referral_profile_ensure(user=inviter)
    referral = referral_bind_new_user(user=invitee, referral=scene_for_user(profile.code))
    assert referral is not None
    return invitee


def next_phone() -> str:
    return f"1390{next(_phones):07d}"


def verify_phone(user, phone: str | None = None):
    """Verify through the core service (the fake WeChat turns an 11-digit code into that number)."""
    return user_verify_phone(user=user, code=phone or next_phone())
