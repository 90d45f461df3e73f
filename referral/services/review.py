"""Operators' review: held rewards approved (paid now) or rejected, and inviters flagged, by hand
or nightly when their invitees never became active."""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core.clock import now
from core.exceptions import ApplicationError
from core.locks import lock_shared
from referral.models import FlagReason, Referral, ReferralProfile, Reward
from referral.selectors import referral_config
from referral.services.rewards import profile_lock, referral_lock, reward_pay, wallets_lock


def _lock_held(*, reward: Reward) -> tuple[Referral, Reward]:
    invitee_id = Referral.objects.values_list("invitee_id", flat=True).get(pk=reward.referral_id)
    referral_lock(invitee_id=invitee_id)
    referral = Referral.objects.select_related("inviter", "invitee").get(pk=reward.referral_id)
    reward = lock_shared(Reward.objects.select_related("rule").filter(pk=reward.pk))[0]
    if reward.status != Reward.Status.HELD:
        raise ApplicationError("reward_not_held", _("This reward is not waiting for review."), 409)
    return referral, reward


def referral_reward_approve(*, reward: Reward, actor) -> Reward:
    """Staff approve a held reward: it is paid now, and the friend counts as qualified."""
    with transaction.atomic():
        referral, reward = _lock_held(reward=reward)
        profile = profile_lock(user=referral.inviter)
        reward.status = Reward.Status.PAID
        reward.reviewed_by = actor
        reward.reviewed_at = now()
        reward.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        wallets_lock(referral=referral)
        reward_pay(reward=reward, referral=referral, profile=profile)
    return reward


def referral_reward_reject(*, reward: Reward, actor) -> Reward:
    """Staff reject a held reward: nothing is paid, and a referral held for it is rejected."""
    with transaction.atomic():
        referral, reward = _lock_held(reward=reward)
        reward.status = Reward.Status.REJECTED
        reward.reason = Reward.Reason.REVIEW
        reward.reviewed_by = actor
        reward.reviewed_at = now()
        reward.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
        still_held = referral.rewards.filter(status=Reward.Status.HELD, rule__qualifies=True).exists()
        if referral.status == Referral.Status.HELD and not still_held:
            referral.status = Referral.Status.REJECTED
            referral.save(update_fields=["status"])
    return reward


def referral_flag_inactive_inviters() -> int:
    """Flag inviters with at least N invitees, none of whom became active within D days.

    Active means a verified phone or a qualified invite. Staff clearing a flag resets the count:
    only invitees who joined after the review are looked at again. Returns how many were flagged.
    """
    config = referral_config()
    if not config.flag_min_invitees:
        return 0
    at = now()
    cutoff = at - dt.timedelta(days=config.flag_after_days)
    active = Q(invitee__phone_verified=True) | Q(status=Referral.Status.QUALIFIED)
    candidates = (
        Referral.objects.filter(created_at__lt=cutoff)
        .exclude(inviter__referral_profile__flagged=True)
        .values("inviter_id")
        .annotate(total=Count("id"), active=Count("id", filter=active))
        .filter(total__gte=config.flag_min_invitees, active=0)
    )
    flagged = 0
    for row in candidates.iterator():
        profile = ReferralProfile.objects.filter(user_id=row["inviter_id"]).first()
        if profile is None:
            continue
        if profile.flag_reviewed_at is not None:
            since = Referral.objects.filter(
                inviter_id=row["inviter_id"], created_at__lt=cutoff, created_at__gt=profile.flag_reviewed_at
            )
            if since.count() < config.flag_min_invitees or since.filter(active).exists():
                continue
        flagged += ReferralProfile.objects.filter(pk=profile.pk, flagged=False).update(
            flagged=True, flag_reason=FlagReason.INACTIVE_INVITEES, flagged_at=at
        )
    return flagged


def referral_profile_flag_set(*, profile: ReferralProfile, flagged: bool, actor) -> ReferralProfile:
    """Staff flag an inviter (new rewards wait for review) or clear a flag."""
    at = now()
    if flagged:
        ReferralProfile.objects.filter(pk=profile.pk).update(flagged=True, flag_reason=FlagReason.STAFF, flagged_at=at)
    else:
        ReferralProfile.objects.filter(pk=profile.pk).update(
            flagged=False, flag_reason=FlagReason.NONE, flagged_at=None, flag_reviewed_at=at
        )
    profile.refresh_from_db()
    return profile
