"""Invite rewards: triggers, caps, milestones, anti-fraud holds, review, clawback, flags.

Lock order (docs/concurrency.md): the invitee's member lock (the caller's, or taken here), then
the invitee's Referral row (only ever locked under that member lock, so it never waits), then the
inviter's ReferralProfile row (shared by all of the inviter's invitees: it holds the caps, the
velocity and the qualified count), then the accounts of every posting at once (issuance and both
wallets, `ledger_lock`). A caller that posts points itself triggers first. Every reward is a
ledger transaction whose key names the referral, the rule and the role, so it is paid once however
often a trigger fires. What the inviter gets besides points (their own `invite_friend` task) is a
reaction of another member: it runs after commit, in the inviter's own transaction.
"""

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from core.clock import local_today, now
from core.db import fetch_prepared
from core.exceptions import ApplicationError
from core.locks import lock_members, lock_one, lock_shared
from points.models import Account, Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_lock, ledger_post
from referral.models import FlagReason, Milestone, MilestoneAward, Referral, ReferralProfile, Reward, RewardRule
from referral.selectors import referral_config, rules_active
from referral.services.profiles import referral_profile_ensure

logger = logging.getLogger(__name__)

VELOCITY_WINDOW = dt.timedelta(hours=1)
COUNTING = [Reward.Status.PAID, Reward.Status.HELD]


def reward_key(*, referral_id: int, rule_id: int, role: str) -> str:
    return f"referral:{referral_id}:{rule_id}:{role}"


def milestone_key(*, milestone_id: int, inviter_id: int) -> str:
    return f"referral:milestone:{milestone_id}:{inviter_id}"


def _lock_referral(*, invitee_id: int) -> Referral | None:
    """The invitee's referral, under the invitee's member lock (taken here if the caller has not)."""
    lock_members(invitee_id)
    return lock_one(Referral.objects.filter(invitee_id=invitee_id))


def _lock_profile(*, user) -> ReferralProfile:
    referral_profile_ensure(user=user)
    return lock_shared(ReferralProfile.objects.filter(user=user))[0]


def _lock_wallets(*, referral: Referral, also: tuple = ()) -> None:
    """Every account the rewards of `referral` may post to, in one go (level 3 of the order), with
    `also`: the accounts the caller will post to after the rewards (a refund, a debit)."""
    ledger_lock(account_issuance(), account_for_user(referral.inviter), account_for_user(referral.invitee), *also)


def _credit(*, user, points: int, key: str, memo: str, metadata: dict) -> Transaction | None:
    if points <= 0:
        return None
    return ledger_post(
        kind=Transaction.Kind.REFERRAL_REWARD,
        key=key,
        legs=[(account_issuance(), -points), (account_for_user(user), points)],
        memo=memo,
        metadata=metadata,
    )


# -- paying -------------------------------------------------------------------------------------


def _invite_task_complete(*, inviter) -> None:
    """The points task for inviting a friend (`invite_friend`), when operators offer one: the
    inviter's own task, checked under the inviter's member lock, so it runs once this commits."""
    from points.tasks import task_complete_by_server_task

    inviter_id = inviter.pk
    transaction.on_commit(lambda: task_complete_by_server_task.delay(inviter_id, "invite_friend"))


def _milestones_award(*, profile: ReferralProfile) -> list[MilestoneAward]:
    """Bonuses of the active rules' ladders that the inviter's qualified count has reached."""
    awards = []
    reached = Milestone.objects.filter(rule__in=rules_active(), friends__lte=profile.qualified_count).exclude(
        awards__inviter_id=profile.user_id
    )
    for milestone in reached.order_by("friends", "pk"):
        try:
            with transaction.atomic():
                award = MilestoneAward.objects.create(
                    inviter_id=profile.user_id, milestone=milestone, points=milestone.points
                )
        except IntegrityError:
            continue
        _credit(
            user=profile.user,
            points=milestone.points,
            key=milestone_key(milestone_id=milestone.pk, inviter_id=profile.user_id),
            memo=f"referral milestone {milestone.friends}",
            metadata={"milestone": milestone.pk, "friends": milestone.friends},
        )
        awards.append(award)
    return awards


def _qualify(*, referral: Referral, profile: ReferralProfile) -> None:
    at = now()
    referral.status = Referral.Status.QUALIFIED
    referral.qualified_at = at
    referral.save(update_fields=["status", "qualified_at"])
    ReferralProfile.objects.filter(pk=profile.pk).update(qualified_count=F("qualified_count") + 1, last_qualified_at=at)
    profile.refresh_from_db(fields=["qualified_count", "last_qualified_at"])
    _milestones_award(profile=profile)
    _invite_task_complete(inviter=profile.user)


def _pay(*, reward: Reward, referral: Referral, profile: ReferralProfile) -> None:
    """Post the reward's points (both roles) and qualify the referral when the rule says so."""
    rule = reward.rule
    metadata = {"referral": referral.pk, "rule": rule.pk, "trigger": rule.trigger}
    _credit(
        user=profile.user,
        points=reward.inviter_points,
        key=reward_key(referral_id=referral.pk, rule_id=rule.pk, role="inviter"),
        memo=f"referral reward: {rule.name}",
        metadata=metadata,
    )
    _credit(
        user=referral.invitee,
        points=reward.invitee_points,
        key=reward_key(referral_id=referral.pk, rule_id=rule.pk, role="invitee"),
        memo=f"referral welcome: {rule.name}",
        metadata=metadata,
    )
    if rule.qualifies and referral.status in (Referral.Status.REGISTERED, Referral.Status.HELD):
        _qualify(referral=referral, profile=profile)


# -- deciding -----------------------------------------------------------------------------------


def _phone_already_counted(*, referral: Referral, invitee) -> bool:
    """One phone number counts once: not the inviter's (now or ever), not another account's (now
    or ever: a number moved between accounts stays with the first), not another referral's."""
    from core.models import VerifiedPhone

    phone = invitee.phone
    if referral.inviter.phone and referral.inviter.phone == phone:
        return True
    User = get_user_model()
    if User.objects.filter(phone=phone, phone_verified=True).exclude(pk=invitee.pk).exists():
        return True
    if VerifiedPhone.objects.filter(phone=phone).exclude(user=invitee).exists():
        return True
    if referral.counted_phone == phone:
        return False
    try:
        # The unique index settles a race between two accounts verifying the same number.
        with transaction.atomic():
            Referral.objects.filter(pk=referral.pk).update(counted_phone=phone)
    except IntegrityError:
        return True
    referral.counted_phone = phone
    return False


def _hold_reason(*, referral: Referral, profile: ReferralProfile) -> str:
    if profile.flagged:
        return Reward.Reason.FLAGGED
    if referral.status == Referral.Status.HELD:
        return Reward.Reason.VELOCITY
    limit = referral_config().velocity_limit_per_hour
    if limit:
        recent = Reward.objects.filter(
            inviter_id=profile.user_id, status__in=COUNTING, created_at__gte=now() - VELOCITY_WINDOW
        ).count()
        if recent >= limit:
            return Reward.Reason.VELOCITY
    return ""


def _inviter_points_after_caps(*, rule: RewardRule, inviter_id: int, today: dt.date) -> tuple[int, bool]:
    if not rule.inviter_points:
        return 0, False
    given = Reward.objects.filter(inviter_id=inviter_id, rule=rule, inviter_points__gt=0, status__in=COUNTING)
    if rule.lifetime_cap and given.count() >= rule.lifetime_cap:
        return 0, True
    if rule.daily_cap and given.filter(local_date=today).count() >= rule.daily_cap:
        return 0, True
    return rule.inviter_points, False


def _reward_decide(
    *, referral: Referral, rule: RewardRule, invitee, source: str = "", also_lock: tuple = ()
) -> Reward | None:
    today = local_today()
    if rule.requires_phone:
        if not (invitee.phone_verified and invitee.phone):
            return None  # not yet: a later phone verification may qualify it
        if _phone_already_counted(referral=referral, invitee=invitee):
            reward = Reward.objects.create(
                referral=referral,
                rule=rule,
                inviter_id=referral.inviter_id,
                status=Reward.Status.REJECTED,
                reason=Reward.Reason.DUPLICATE_PHONE,
                local_date=today,
                source=source,
            )
            if rule.qualifies and referral.status == Referral.Status.REGISTERED:
                referral.status = Referral.Status.REJECTED
                referral.save(update_fields=["status"])
            return reward

    profile = _lock_profile(user=referral.inviter)
    hold = _hold_reason(referral=referral, profile=profile)
    inviter_points, capped = _inviter_points_after_caps(rule=rule, inviter_id=profile.user_id, today=today)
    reward = Reward.objects.create(
        referral=referral,
        rule=rule,
        inviter_id=profile.user_id,
        status=Reward.Status.HELD if hold else Reward.Status.PAID,
        reason=hold,
        inviter_points=inviter_points,
        invitee_points=rule.invitee_points,
        capped=capped,
        local_date=today,
        source=source,
    )
    if hold:
        if rule.qualifies and referral.status == Referral.Status.REGISTERED:
            referral.status = Referral.Status.HELD
            referral.save(update_fields=["status"])
        return reward
    _lock_wallets(referral=referral, also=also_lock)
    _pay(reward=reward, referral=referral, profile=profile)
    return reward


def _rules_pending(*, referral: Referral | None, trigger: str) -> list[RewardRule]:
    """The active rules of `trigger` that have not rewarded this referral yet (none for no referral,
    or a rejected or revoked one)."""
    if referral is None or referral.status in (Referral.Status.REJECTED, Referral.Status.REVOKED):
        return []
    rules = list(rules_active(trigger=trigger))
    if not rules:
        return []
    done = set(Reward.objects.filter(referral=referral, rule__in=rules).values_list("rule_id", flat=True))
    return [rule for rule in rules if rule.pk not in done]


def referral_rewards_pending(*, user, trigger: str) -> bool:
    """Whether `trigger` by `user` has an active rule left to decide, read without locks.

    Most calls have nothing to decide (nobody invited the user, or every rule already rewarded):
    they are answered from this read, not from behind the issuance lock every reward path holds,
    which would serialise a morning rush of check-ins on one row."""
    if trigger not in RewardRule.Trigger.values:
        raise ValueError(f"unknown referral trigger {trigger!r}")
    # Plain SQL: every check-in asks, and the ORM took three times longer to build the query than to run it.
    rows = fetch_prepared(Referral, "SELECT id, status FROM referral_referral WHERE invitee_id = %s", [user.pk])
    unlocked = Referral(pk=rows[0][0], status=rows[0][1]) if rows else None
    return bool(_rules_pending(referral=unlocked, trigger=trigger))


def referral_trigger(*, user, trigger: str, source: str = "", also_lock: tuple = ()) -> list[Reward]:
    """`user` (an invitee, or not) did `trigger`: apply every active rule for it, once each.

    Triggers: registered, phone_verified, first_checkin, first_redemption, first_visit. Callers
    run it inside their own transaction (the login, the phone verification, the check-in...),
    before they post points themselves, and name in `also_lock` the accounts they post to after
    it (so every account is locked in one go); `source` says what earned it (`order:<id>`).
    Returns the rewards decided now (paid, held or rejected); none for a user nobody invited.
    """
    if not referral_rewards_pending(user=user, trigger=trigger):
        return []
    with transaction.atomic():
        referral = _lock_referral(invitee_id=user.pk)  # the invitee's member lock first
        rules = _rules_pending(referral=referral, trigger=trigger)  # again, now under the locks
        if not rules:
            return []
        referral = Referral.objects.select_related("inviter", "invitee").get(pk=referral.pk)
        decided = []
        for rule in rules:
            reward = _reward_decide(
                referral=referral, rule=rule, invitee=referral.invitee, source=source, also_lock=also_lock
            )
            if reward is not None:
                decided.append(reward)
        return decided


# -- review -------------------------------------------------------------------------------------


def _lock_held(*, reward: Reward) -> tuple[Referral, Reward]:
    invitee_id = Referral.objects.values_list("invitee_id", flat=True).get(pk=reward.referral_id)
    _lock_referral(invitee_id=invitee_id)
    referral = Referral.objects.select_related("inviter", "invitee").get(pk=reward.referral_id)
    reward = lock_shared(Reward.objects.select_related("rule").filter(pk=reward.pk))[0]
    if reward.status != Reward.Status.HELD:
        raise ApplicationError("reward_not_held", _("This reward is not waiting for review."), 409)
    return referral, reward


def referral_reward_approve(*, reward: Reward, actor) -> Reward:
    """Staff approve a held reward: it is paid now, and the friend counts as qualified."""
    with transaction.atomic():
        referral, reward = _lock_held(reward=reward)
        profile = _lock_profile(user=referral.inviter)
        reward.status = Reward.Status.PAID
        reward.reviewed_by = actor
        reward.reviewed_at = now()
        reward.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        _lock_wallets(referral=referral)
        _pay(reward=reward, referral=referral, profile=profile)
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


# -- clawback -----------------------------------------------------------------------------------


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
        referral = _lock_referral(invitee_id=user.pk)
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
        profile = _lock_profile(user=referral.inviter)
        if held and referral.status == Referral.Status.HELD:
            still_held = referral.rewards.filter(status=Reward.Status.HELD, rule__qualifies=True).exists()
            if not still_held:
                referral.status = Referral.Status.REJECTED
                referral.save(update_fields=["status"])
        if not rewards:
            if before_claw is not None:
                before_claw()
            return held
        _lock_wallets(referral=referral, also=also_lock)  # both wallets, before their balances are read
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


# -- flags --------------------------------------------------------------------------------------


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
