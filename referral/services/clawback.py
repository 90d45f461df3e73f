"""Taking a reward back when the redemption or purchase that earned it is refunded: never more than
the wallet holds, never twice, and a reward still held for review is rejected instead of paid."""

from django.db import transaction
from django.db.models import F

from core.locks import lock_shared
from points.models import Account, Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_post
from referral.models import Referral, ReferralProfile, Reward
from referral.services.rewards import profile_lock, referral_lock, reward_key, wallets_lock


def _claw(*, user, points: int, key: str, memo: str, metadata: dict) -> int:
    """Take back up to `points` from `user`'s wallet (never below zero), the wallet already locked.
    Returns what was taken."""
    if points <= 0:
        return 0
    account = account_for_user(user)
    balance = Account.objects.values_list("balance", flat=True).get(pk=account.pk)
    take = min(points, balance)
    if take <= 0:
        return 0
    ledger_post(
        kind=Transaction.Kind.REFERRAL_REWARD,
        key=key,
        legs=[(account, -take), (account_issuance(), take)],
        memo=memo,
        metadata=metadata,
    )
    return take


def referral_reward_clawback(
    *,
    user,
    trigger: str,
    source: str = "",
    include_unsourced: bool = True,
    also_lock: tuple = (),
    before_claw=None,
) -> list[Reward]:
    """Undo the rewards `user`'s referral earned by `trigger` (a first redemption later refunded).

    Both roles' points are taken back, as far as each wallet allows; a reward still held for
    review is rejected (the redemption it was for no longer stands, so approving it later would
    create points for nothing). A referral that qualified through such a reward, and through
    nothing else, is revoked and stops counting for the inviter; milestone bonuses already paid
    stay paid. Runs under the invitee's member lock (the caller's, the cancelling customer's),
    before the caller's own postings (`also_lock`, as for `referral_trigger`); `before_claw` is
    called once every account is locked and before anything is taken back (a refund posts there,
    so the points it returns can be clawed). With `source`, only
    the rewards that this source earned, and those recorded without a source (from before sources
    were recorded) when `include_unsourced`.
    """
    with transaction.atomic():
        referral = referral_lock(invitee_id=user.pk)
        if referral is None:
            if before_claw is not None:
                before_claw()
            return []
        rewards = Reward.objects.select_related("rule").filter(
            referral=referral, rule__trigger=trigger, status__in=[Reward.Status.PAID, Reward.Status.HELD]
        )
        if source:
            rewards = rewards.filter(source__in=[source, ""] if include_unsourced else [source])
        rewards = lock_shared(rewards)
        if not rewards:
            if before_claw is not None:
                before_claw()
            return []
        held = [reward for reward in rewards if reward.status == Reward.Status.HELD]
        for reward in held:
            reward.status, reward.reason = Reward.Status.REJECTED, Reward.Reason.REFUNDED
            reward.save(update_fields=["status", "reason"])
        rewards = [reward for reward in rewards if reward.status == Reward.Status.PAID]
        referral = Referral.objects.select_related("inviter", "invitee").get(pk=referral.pk)
        profile = profile_lock(user=referral.inviter)
        if held and referral.status == Referral.Status.HELD:
            still_held = referral.rewards.filter(status=Reward.Status.HELD, rule__qualifies=True).exists()
            if not still_held:
                referral.status = Referral.Status.REJECTED
                referral.save(update_fields=["status"])
        if not rewards:
            if before_claw is not None:
                before_claw()
            return held
        wallets_lock(referral=referral, also=also_lock)  # both wallets, before their balances are read
        if before_claw is not None:
            before_claw()
        for reward in rewards:
            metadata = {"referral": referral.pk, "rule": reward.rule_id, "clawback": True}
            reward.inviter_clawed = _claw(
                user=referral.inviter,
                points=reward.inviter_points,
                key=reward_key(referral_id=referral.pk, rule_id=reward.rule_id, role="inviter") + ":clawback",
                memo=f"referral clawback: {reward.rule.name}",
                metadata=metadata,
            )
            reward.invitee_clawed = _claw(
                user=referral.invitee,
                points=reward.invitee_points,
                key=reward_key(referral_id=referral.pk, rule_id=reward.rule_id, role="invitee") + ":clawback",
                memo=f"referral clawback: {reward.rule.name}",
                metadata=metadata,
            )
            reward.status = Reward.Status.CLAWED_BACK
            reward.save(update_fields=["status", "inviter_clawed", "invitee_clawed"])
        still_qualified = referral.rewards.filter(status=Reward.Status.PAID, rule__qualifies=True).exists()
        if referral.status == Referral.Status.QUALIFIED and not still_qualified:
            referral.status = Referral.Status.REVOKED
            referral.save(update_fields=["status"])
            ReferralProfile.objects.filter(pk=profile.pk, qualified_count__gt=0).update(
                qualified_count=F("qualified_count") - 1
            )
    return held + rewards
