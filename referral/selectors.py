"""Reads for referral: resolving codes, summaries, invitees, the leaderboard, channel counts,
commissions."""

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.clock import now
from core.exceptions import ApplicationError
from referral.codes import channel_code_normalize, code_normalize, scene_for_user, share_url_for
from referral.models import (
    Channel,
    Commission,
    CommissionRule,
    MilestoneAward,
    PosterTemplate,
    Referral,
    ReferralConfig,
    ReferralProfile,
    Reward,
    RewardRule,
)

LEADERBOARD_DEFAULT_LIMIT = 20
LEADERBOARD_MAX_LIMIT = 100


def profile_by_code(raw: str) -> ReferralProfile | None:
    code = code_normalize(raw)
    if not code:
        return None
    return ReferralProfile.objects.select_related("user").filter(code=code, user__is_active=True).first()


def channel_by_code(raw: str) -> Channel | None:
    code = channel_code_normalize(raw)
    if not code:
        return None
    return Channel.objects.filter(code=code, is_active=True).first()


def code_resolve(raw: str) -> tuple[ReferralProfile | None, Channel | None]:
    """A code from a share link: a user's code first, else a channel's."""
    profile = profile_by_code(raw)
    if profile is not None:
        return profile, None
    return None, channel_by_code(raw)


def referral_config() -> ReferralConfig:
    return ReferralConfig.objects.order_by("pk").first() or ReferralConfig()


def rules_active(*, trigger: str | None = None, at=None) -> QuerySet[RewardRule]:
    at = at or now()
    rules = RewardRule.objects.filter(is_active=True).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at)
    )
    if trigger is not None:
        rules = rules.filter(trigger=trigger)
    return rules.order_by("pk")


def invitee_offer() -> list[dict]:
    """What a friend gets, for the landing page: the active rules that give the invitee points."""
    return [
        {"trigger": rule.trigger, "trigger_label": rule.get_trigger_display(), "points": rule.invitee_points}
        for rule in rules_active().filter(invitee_points__gt=0)
    ]


def inviter_rewarded_points(*, user) -> int:
    """Points `user` earned by inviting: rule rewards paid to them (net of clawbacks) and milestones."""
    rewards = Reward.objects.filter(inviter=user, status__in=[Reward.Status.PAID, Reward.Status.CLAWED_BACK]).aggregate(
        paid=Coalesce(Sum("inviter_points"), 0), clawed=Coalesce(Sum("inviter_clawed"), 0)
    )
    milestones = MilestoneAward.objects.filter(inviter=user).aggregate(total=Coalesce(Sum("points"), 0))["total"]
    return rewards["paid"] - rewards["clawed"] + milestones


def referral_summary(*, profile: ReferralProfile) -> dict:
    counts = Referral.objects.filter(inviter_id=profile.user_id).aggregate(
        invited=Count("id"), qualified=Count("id", filter=Q(status=Referral.Status.QUALIFIED))
    )
    return {
        "code": profile.code,
        "scene": scene_for_user(profile.code),
        "share_url": share_url_for(profile.code),
        "invited": counts["invited"],
        "qualified": counts["qualified"],
        "rewarded_points": inviter_rewarded_points(user=profile.user),
    }


def referral_invitees(*, user) -> QuerySet[Referral]:
    return Referral.objects.filter(inviter=user).select_related("invitee").order_by("-created_at", "-id")


def referral_of(*, user) -> Referral | None:
    return Referral.objects.select_related("inviter").filter(invitee=user).first()


def user_referral_fields(*, user) -> dict:
    """What `me` and the login answer show about referral: the user's code and who invited them.
    A read only: every login gives the user a profile (accounts.services), so a code is there."""
    code = ReferralProfile.objects.filter(user=user).values_list("code", flat=True).first() or ""
    referral = referral_of(user=user)
    invited_by = None
    if referral is not None:
        invited_by = {"id": referral.inviter_id, "nickname": referral.inviter.nickname}
    return {"referral_code": code, "invited_by": invited_by}


def referral_leaderboard(*, user, limit: int = LEADERBOARD_DEFAULT_LIMIT) -> dict:
    """Top inviters by qualified invites; ties go to whoever reached their score first."""
    limit = max(1, min(limit, LEADERBOARD_MAX_LIMIT))
    board = ReferralProfile.objects.filter(qualified_count__gt=0).select_related("user")
    top = board.order_by("-qualified_count", "last_qualified_at", "user_id")[:limit]
    entries = [
        {
            "rank": rank,
            "user": {"id": p.user_id, "nickname": p.user.nickname, "avatar_url": p.user.display_avatar_url},
            "score": p.qualified_count,
        }
        for rank, p in enumerate(top, start=1)
    ]
    me = {"rank": None, "score": 0}
    mine = ReferralProfile.objects.filter(user=user).first()
    if mine is not None and mine.qualified_count > 0:
        ahead = board.filter(
            Q(qualified_count__gt=mine.qualified_count)
            | Q(qualified_count=mine.qualified_count, last_qualified_at__lt=mine.last_qualified_at)
            | Q(qualified_count=mine.qualified_count, last_qualified_at=mine.last_qualified_at, user_id__lt=user.pk)
        ).count()
        me = {"rank": ahead + 1, "score": mine.qualified_count}
    return {"entries": entries, "me": me}


def poster_template_get(*, template_id: int | None) -> PosterTemplate:
    """The template asked for (active), else the default one, else the built-in default (unsaved)."""
    templates = PosterTemplate.objects.filter(is_active=True)
    if template_id is not None:
        template = templates.filter(pk=template_id).first()
        if template is None:
            raise ApplicationError("poster_template_not_found", _("No such poster template."), 404)
        return template
    return templates.order_by("-is_default", "pk").first() or builtin_poster_template()


def builtin_poster_template() -> PosterTemplate:
    """The template that ships: a generated background, the default layout. Never saved."""
    return PosterTemplate(pk=None, name="default", text=_("Join me on the mini-program!"), version=0)


def channels_with_counts() -> QuerySet[Channel]:
    """Channels with their scans, sign-ups and sign-ups who verified a phone."""
    return Channel.objects.annotate(
        scan_count=Count("scans", distinct=True),
        signup_count=Count("profiles", distinct=True),
        verified_count=Count("profiles", filter=Q(profiles__user__phone_verified=True), distinct=True),
    )


def commission_rule_current(*, at=None) -> CommissionRule | None:
    """The commission rule that applies to a redemption at `at`: the newest active one in its window."""
    at = at or now()
    rules = CommissionRule.objects.filter(is_active=True).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at)
    )
    return rules.order_by("-pk").first()


def referral_inviter_id(*, invitee_id: int) -> int | None:
    """Who invited `invitee_id`, read without a lock: a binding is made once, at registration, for good."""
    return Referral.objects.filter(invitee_id=invitee_id).values_list("inviter_id", flat=True).first()


def commission_may_apply(*, invitee_id: int, order_id: int | None = None) -> bool:
    """Whether an order of `invitee_id` may have a commission to decide or settle, read without
    locks so that most orders (nobody invited the buyer, no rule) queue nothing: the order already
    has one, or a rule is active and someone invited the buyer."""
    if order_id is not None and Commission.objects.filter(order=order_id).exists():
        return True
    return commission_rule_current() is not None and referral_inviter_id(invitee_id=invitee_id) is not None


def referral_commissions(*, user) -> QuerySet[Commission]:
    """The commissions `user` earned as an inviter, newest first."""
    return Commission.objects.filter(inviter=user).select_related("invitee").order_by("-created_at", "-id")
