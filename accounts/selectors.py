"""Reads about members: what `me` shows, joined from the apps below, and the member's own data."""

from campaigns.assist.models import AssistTask
from campaigns.groupbuy.models import GroupBuyMember
from checkin.models import CheckIn, Entry
from core.clock import now
from core.models import User
from mall.models import Order
from mall.selectors import level_has_exclusive_products
from points.selectors import member_level_card, points_history, points_summary
from referral.models import Referral, ReferralProfile, Reward
from referral.selectors import user_referral_fields


def user_profile(*, user: User) -> dict:
    """What `me` shows. Other apps' figures (points, level, referral) are joined in here."""
    return {
        "id": user.pk,
        "nickname": user.nickname,
        "avatar_url": user.display_avatar_url,
        "phone_verified": user.phone_verified,
        **points_summary(user=user),
        **user_referral_fields(user=user),
        **profile_facts(user),
    }


def profile_facts(user: User) -> dict:
    """The optional facts the member gave (`PATCH me`): birthday, gender, city."""
    return {"birthday": user.birthday, "gender": user.gender, "city": user.city}


def user_level(*, user: User) -> dict:
    """What `GET me/level` shows: level, growth, the next level and the growth it needs, and the
    level's privileges; the mall says whether it keeps products for the level."""
    return member_level_card(
        user=user, exclusive_products=lambda level: level_has_exclusive_products(level=level, user=user)
    )


def user_ping(*, user_id: int) -> dict | None:
    """The caller's id and nickname, read by primary key: the cheapest authenticated answer.
    The benchmarks' baseline (docs/benchmarks.md)."""
    return User.objects.filter(pk=user_id).values("id", "nickname").first()


def user_export(*, user: User) -> dict:
    """Everything the service holds about the member, for `GET me/export` (docs/privacy.md): the
    profile, the points history, orders and vouchers, group-buys and assists, challenge entries
    and check-ins, and referrals. Of other members only nicknames; no internal identifiers
    (openid, unionid), which are WeChat's for this mini-program and mean nothing elsewhere."""
    profile = ReferralProfile.objects.select_related("channel").filter(user=user).first()
    return {
        "exported_at": now(),
        "profile": {
            "id": user.pk,
            "nickname": user.nickname,
            "avatar_url": user.display_avatar_url,
            "phone": user.phone if user.phone_verified else "",
            "phone_verified": user.phone_verified,
            "date_joined": user.date_joined,
            **points_summary(user=user),
            "referral_code": profile.code if profile is not None else "",
            "channel": profile.channel.name if profile is not None and profile.channel is not None else None,
            **profile_facts(user),
        },
        "points_history": [
            {
                "id": entry.pk,
                "amount": entry.amount,
                "kind": entry.transaction.kind,
                "memo": entry.transaction.memo,
                "balance_after": entry.balance_after,
                "created_at": entry.created_at,
            }
            for entry in points_history(user=user)
        ],
        "orders": _orders(user),
        "group_buys": [
            {
                "group": member.group_id,
                "product": member.group.offer.product.name,
                "price": member.group.price,
                "status": member.group.status,
                "joined_at": member.joined_at,
            }
            for member in GroupBuyMember.objects.filter(user=user)
            .select_related("group__offer__product")
            .order_by("-pk")
        ],
        "assists": [
            {
                "id": task.pk,
                "campaign": task.campaign.title,
                "kind": task.campaign.kind,
                "status": task.status,
                "progress": task.progress,
                "required": task.required,
                "created_at": task.created_at,
            }
            for task in AssistTask.objects.filter(user=user).select_related("campaign").order_by("-pk")
        ],
        "challenge_entries": [
            {
                "id": entry.pk,
                "challenge": entry.round.challenge.title,
                "round_start": entry.round.start_date,
                "round_end": entry.round.end_date,
                "stake": entry.stake,
                "status": entry.status,
                "checkins": entry.checkins,
                "payout": entry.payout,
                "joined_at": entry.created_at,
            }
            for entry in Entry.objects.filter(user=user).select_related("round__challenge").order_by("-pk")
        ],
        "checkins": [
            {
                "id": checkin.pk,
                "challenge": checkin.challenge.title,
                "date": checkin.local_date,
                "checked_in_at": checkin.checked_in_at,
                "makeup": checkin.makeup,
                "note": checkin.note,
                "image_url": checkin.image_url,
            }
            for checkin in CheckIn.objects.filter(user=user).select_related("challenge").order_by("-pk")
        ],
        "referrals": _referrals(user),
    }


def _orders(user: User) -> list[dict]:
    orders = Order.objects.filter(user=user).select_related("product").prefetch_related("coupons").order_by("-pk")
    return [
        {
            "id": order.pk,
            "product": order.product.name,
            "quantity": order.quantity,
            "points": order.points,
            "status": order.status,
            "address": order.address,
            "created_at": order.created_at,
            "cancelled_at": order.cancelled_at,
            "vouchers": [
                {
                    "code": coupon.code,
                    "status": coupon.status,
                    "expires_at": coupon.expires_at,
                    "used_at": coupon.used_at,
                }
                for coupon in sorted(order.coupons.all(), key=lambda c: c.pk)
            ],
        }
        for order in orders
    ]


def _referrals(user: User) -> dict:
    """Who invited the member, whom they invited (nicknames only), and the rewards they received."""
    invited_by = Referral.objects.select_related("inviter").filter(invitee=user).first()
    rewards = []
    for reward in Reward.objects.filter(inviter=user).select_related("rule").order_by("-pk"):
        rewards.append(_reward(reward, role="inviter", points=reward.inviter_points, clawed=reward.inviter_clawed))
    for reward in Reward.objects.filter(referral__invitee=user).select_related("rule").order_by("-pk"):
        rewards.append(_reward(reward, role="invitee", points=reward.invitee_points, clawed=reward.invitee_clawed))
    return {
        "invited_by": (
            {"nickname": invited_by.inviter.nickname, "bound_at": invited_by.created_at} if invited_by else None
        ),
        "invitees": [
            {"nickname": referral.invitee.nickname, "status": referral.status, "joined_at": referral.created_at}
            for referral in Referral.objects.filter(inviter=user).select_related("invitee").order_by("-pk")
        ],
        "rewards": rewards,
    }


def _reward(reward: Reward, *, role: str, points: int, clawed: int) -> dict:
    return {
        "rule": reward.rule.name,
        "role": role,
        "points": points,
        "clawed_back": clawed,
        "status": reward.status,
        "created_at": reward.created_at,
    }
