"""Invite rewards: triggers, caps, milestones and anti-fraud holds, and paying them.

Lock order (docs/concurrency.md): the invitee's member lock (the caller's, or taken here), then
the invitee's Referral row (only ever locked under that member lock, so it never waits), then the
inviter's ReferralProfile row (shared by all of the inviter's invitees: it holds the caps, the
velocity and the qualified count), then the accounts of every posting at once (issuance and both
wallets, `ledger_lock`). A caller that posts points itself triggers first. Every reward is a
ledger transaction whose key names the referral, the rule and the role, so it is paid once however
often a trigger fires. What the inviter gets besides points (their own `invite_friend` task) is a
reaction of another member: it runs after commit, in the inviter's own transaction.

Operators' review is in `review`, taking a reward back on a refund in `clawback`; both take their
locks through the helpers here, in the same order."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from core.clock import local_today, now
from core.db import fetch_prepared
from core.locks import lock_members, lock_one, lock_shared
from points.models import Transaction
from points.services.ledger import account_for_user, account_issuance, ledger_lock, ledger_post
from referral.models import Milestone, MilestoneAward, Referral, ReferralProfile, Reward, RewardRule
from referral.selectors import referral_config, rules_active
from referral.services.profiles import referral_profile_ensure

VELOCITY_WINDOW = dt.timedelta(hours=1)
COUNTING = [Reward.Status.PAID, Reward.Status.HELD]


def reward_key(*, referral_id: int, rule_id: int, role: str) -> str:
    return f"referral:{referral_id}:{rule_id}:{role}"


def milestone_key(*, milestone_id: int, inviter_id: int) -> str:
    return f"referral:milestone:{milestone_id}:{inviter_id}"


def referral_lock(*, invitee_id: int) -> Referral | None:
    """The invitee's referral, under the invitee's member lock (taken here if the caller has not)."""
    lock_members(invitee_id)
    return lock_one(Referral.objects.filter(invitee_id=invitee_id))


def profile_lock(*, user) -> ReferralProfile:
    referral_profile_ensure(user=user)
    return lock_shared(ReferralProfile.objects.filter(user=user))[0]


def wallets_lock(*, referral: Referral, also: tuple = ()) -> None:
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


def reward_pay(*, reward: Reward, referral: Referral, profile: ReferralProfile) -> None:
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

    profile = profile_lock(user=referral.inviter)
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
    wallets_lock(referral=referral, also=also_lock)
    reward_pay(reward=reward, referral=referral, profile=profile)
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
        referral = referral_lock(invitee_id=user.pk)  # the invitee's member lock first
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
