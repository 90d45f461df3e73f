"""Reads about users."""

from core.models import User
from points.selectors import points_summary
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
    }
