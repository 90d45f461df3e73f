"""A user's poster: composed once per (template version, user fields), then served from storage.

The QR code is a plain QR of the share URL, except with live WeChat, where it is the
mini-program code carrying the scene (and, when WeChat refuses, a plain QR again, not stored so
the next request asks WeChat again).
"""

import hashlib
import io
import json
import logging
import posixpath

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.wechat import WeChatError, get_wechat_client
from referral import posters
from referral.codes import scene_for_user, share_url_for
from referral.models import PosterTemplate, ReferralProfile
from referral.services.profiles import referral_profile_ensure

logger = logging.getLogger(__name__)

POSTER_DIR = "referral/posters"
POSTER_CACHE_SECONDS = 60 * 60 * 24
# Bumped when the drawing changes (2: a default name and avatar, the caption under the code), so
# posters stored before are drawn again.
POSTER_DRAWING = 2
LAYOUT_FIELDS = [
    "width",
    "height",
    "qr_x",
    "qr_y",
    "qr_size",
    "avatar_x",
    "avatar_y",
    "avatar_size",
    "nickname_x",
    "nickname_y",
    "nickname_size",
    "text",
    "text_x",
    "text_y",
    "text_size",
    "text_color",
]


def _qr_kind() -> str:
    return "wxacode" if settings.WECHAT_MODE == "live" else "url"


def poster_display_name(user) -> str:
    """The name a poster shows: the nickname; without one, "User 5678" by the tail of a verified
    phone (never the whole number: posters are shared), else "WeChat user"."""
    nickname = (user.nickname or "").strip()
    if nickname:
        return nickname
    phone = user.phone or ""
    if user.phone_verified and len(phone) >= 4 and phone[-4:].isdigit():
        return _("User %(tail)s") % {"tail": phone[-4:]}
    return _("WeChat user")


def poster_caption() -> str:
    return _("Long-press to open the mini-program")


def poster_texts(user) -> tuple[str, str]:
    """(name, caption), in the site's language: a poster is for the friends it is shared with."""
    with translation.override(settings.LANGUAGE_CODE):
        return poster_display_name(user), poster_caption()


def poster_fingerprint(*, template: PosterTemplate, user, profile: ReferralProfile) -> str:
    """Everything a poster shows. A change to any of it gives a new fingerprint, so a new poster."""
    avatar = user.avatar.name if user.avatar else user.avatar_url
    name, caption = poster_texts(user)
    parts = [
        POSTER_DRAWING,
        name,
        caption,
        template.pk,
        template.version,
        template.background.name if template.background else "",
        *[getattr(template, name) for name in LAYOUT_FIELDS],
        user.pk,
        user.nickname,
        avatar,
        profile.code,
        share_url_for(profile.code),
        _qr_kind(),
        settings.POSTER_FONT_PATH,
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:32]


def _poster_name(*, user, template: PosterTemplate, fingerprint: str) -> str:
    return f"{POSTER_DIR}/{user.pk}/{template.pk or 0}-{fingerprint}.png"


def _open_image(file_field) -> Image.Image | None:
    try:
        with file_field.open("rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
            return image
    except (OSError, UnidentifiedImageError, ValueError):
        logger.warning("poster image %s cannot be read", file_field.name)
        return None


def _qr(*, profile: ReferralProfile, size: int) -> tuple[Image.Image, bool]:
    """(the code's image, whether it is the intended one and may be cached)."""
    share_url = share_url_for(profile.code)
    if _qr_kind() == "wxacode":
        try:
            data = get_wechat_client().get_unlimited_code(scene=scene_for_user(profile.code))
            image = Image.open(io.BytesIO(data))
            image.load()
            return image, True
        except (WeChatError, OSError, UnidentifiedImageError) as exc:
            logger.warning("mini-program code refused (%s); falling back to a plain QR", exc)
            return posters.qr_image(share_url, size), False
    return posters.qr_image(share_url, size), True


def poster_compose_for(*, template: PosterTemplate, user, profile: ReferralProfile) -> tuple[bytes, bool]:
    name, caption = poster_texts(user)
    layout = posters.Layout(**{field: getattr(template, field) for field in LAYOUT_FIELDS}, caption=caption)
    background = _open_image(template.background) if template.background else None
    if background is not None:
        layout = posters.Layout(**{**layout.__dict__, "width": background.width, "height": background.height})
    avatar = _open_image(user.avatar) if user.avatar else None
    qr, cacheable = _qr(profile=profile, size=layout.qr_size)
    png = posters.poster_compose(
        layout=layout,
        background=background,
        qr=qr,
        avatar=avatar,
        nickname=name,
        avatar_seed=user.pk or 0,
    )
    return png, cacheable


def _forget_older(*, user, template: PosterTemplate, keep: str) -> None:
    """Delete this user's earlier posters of this template: storage holds one per template."""
    folder = f"{POSTER_DIR}/{user.pk}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    prefix = f"{template.pk or 0}-"
    for name in files:
        path = posixpath.join(folder, name)
        if name.startswith(prefix) and path != keep:
            default_storage.delete(path)


def referral_poster(*, user, template: PosterTemplate) -> bytes:
    """The user's poster PNG for `template`, from storage when nothing on it changed."""
    profile = referral_profile_ensure(user=user)
    fingerprint = poster_fingerprint(template=template, user=user, profile=profile)
    name = _poster_name(user=user, template=template, fingerprint=fingerprint)
    cache_key = f"referral:poster:{fingerprint}:{user.pk}"
    marked = cache.get(cache_key)
    if marked or default_storage.exists(name):
        try:
            with default_storage.open(name, "rb") as handle:
                data = handle.read()
            if not marked:  # a marked hit leaves the marker as it is: one Redis round trip less
                cache.set(cache_key, 1, POSTER_CACHE_SECONDS)
            return data
        except FileNotFoundError:
            cache.delete(cache_key)

    png, cacheable = poster_compose_for(template=template, user=user, profile=profile)
    if not cacheable:
        return png
    saved = default_storage.save(name, ContentFile(png))
    if saved != name:
        # A concurrent request stored the same poster first; keep theirs.
        default_storage.delete(saved)
    _forget_older(user=user, template=template, keep=name)
    cache.set(cache_key, 1, POSTER_CACHE_SECONDS)
    return png


def referral_posters_forget(*, user_id: int) -> int:
    """Delete every poster stored for a user (their name and face are on it): an account deleted.
    Returns how many files went. Storage is not transactional: call it after the commit."""
    folder = f"{POSTER_DIR}/{user_id}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return 0
    for name in files:
        default_storage.delete(posixpath.join(folder, name))
    return len(files)
