"""Reads about users."""

from core.models import User


def user_profile(*, user: User) -> dict:
    """What `me` shows. Other apps' figures (points, level, referral) are joined in here."""
    return {
        "id": user.pk,
        "nickname": user.nickname,
        "avatar_url": user.display_avatar_url,
        "phone_verified": user.phone_verified,
    }
