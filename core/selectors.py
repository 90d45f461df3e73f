"""Reads about users."""

from core.models import User
from points.selectors import points_summary


def user_profile(*, user: User) -> dict:
    return {
        "id": user.pk,
        "nickname": user.nickname,
        "avatar_url": user.display_avatar_url,
        "phone_verified": user.phone_verified,
        **points_summary(user=user),
    }
