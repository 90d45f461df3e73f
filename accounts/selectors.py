"""Reads about members: what `me` shows, joined from the apps below."""

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


def user_ping(*, user_id: int) -> dict | None:
    """The caller's id and nickname, read by primary key: the cheapest authenticated answer.
    The benchmarks' baseline (docs/benchmarks.md)."""
    return User.objects.filter(pk=user_id).values("id", "nickname").first()
