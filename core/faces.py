"""The public faces of users (nickname, avatar URL) that boards and lists show, cached: read
many at once, and forgotten when a profile changes."""

from django.core.cache import cache
from django.db import transaction

from core.models import User

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


def user_faces_forget(*, user_ids: list[int]) -> None:
    """Drop the cached public faces (core.selectors.user_faces) of users whose nickname or avatar
    changed, once the change commits (a read in between would cache the old face again)."""
    keys = [face_cache_key(user_id) for user_id in user_ids]
    transaction.on_commit(lambda: cache.delete_many(keys))
