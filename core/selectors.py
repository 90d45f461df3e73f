"""Reads about users."""

from django.core.cache import cache

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


FACE_CACHE_TTL = 600  # seconds; a profile change forgets the face at once, the TTL only bounds a missed one
_FACE_PREFIX = "faces:v1:"


def face_cache_key(user_id: int) -> str:
    return f"{_FACE_PREFIX}{user_id}"


def user_faces(*, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """{user id: (nickname, avatar URL)}: the public face of many users (boards, lists). The
    avatar URL as `User.display_avatar_url` gives it. Read through the cache: every read of a board
    shows the same top users, so one cache round trip replaces a query. Whatever changes a face
    calls `user_faces_forget` (core.services)."""
    keys = {face_cache_key(user_id): user_id for user_id in user_ids}
    faces = {keys[key]: tuple(face) for key, face in cache.get_many(list(keys)).items()}
    missing = [user_id for user_id in user_ids if user_id not in faces]
    if missing:
        storage = User._meta.get_field("avatar").storage
        rows = User.objects.filter(pk__in=missing).values_list("pk", "nickname", "avatar", "avatar_url")
        loaded = {pk: (nickname, storage.url(avatar) if avatar else url) for pk, nickname, avatar, url in rows}
        cache.set_many({face_cache_key(user_id): face for user_id, face in loaded.items()}, FACE_CACHE_TTL)
        faces.update(loaded)
    return faces
