"""Referral profiles: every user's own code, created on first need. Below attribution and
rewards, which both need a profile (the inviter's, the new user's)."""

from django.db import IntegrityError, transaction

from referral.codes import code_generate
from referral.models import CODE_LENGTH, Channel, ReferralProfile

CODE_ATTEMPTS = 12
# After this many collisions at one length, codes get one character longer.
ATTEMPTS_PER_LENGTH = 4


def referral_profile_ensure(*, user, channel: Channel | None = None) -> ReferralProfile:
    """The user's referral profile, created with a fresh unique code on first use.

    Codes are random; a collision (on the unique index) is retried with a new code, and after a
    few collisions at one length the code grows by one character.
    """
    profile = ReferralProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile
    for attempt in range(CODE_ATTEMPTS):
        code = code_generate(CODE_LENGTH + attempt // ATTEMPTS_PER_LENGTH)
        if Channel.objects.filter(code=code).exists():
            continue
        try:
            with transaction.atomic():
                return ReferralProfile.objects.create(user=user, code=code, channel=channel)
        except IntegrityError:
            # Either the code is taken, or a concurrent request created this user's profile.
            profile = ReferralProfile.objects.filter(user=user).first()
            if profile is not None:
                return profile
    raise RuntimeError("no free referral code found")
