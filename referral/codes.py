"""Referral codes, scenes and share links: pure functions, no database.

A code is CODE_LENGTH characters of Crockford's base32 (no I, L, O, U). Typed input is read the
Crockford way: case-insensitive, hyphens and spaces ignored, O as 0, I and L as 1.
A scene is what a mini-program code carries (at most 32 characters): `r=<code>` for a user,
`c=<code>` for a channel; both may be joined with `&`.
"""

import re
import secrets
from urllib.parse import unquote

from django.conf import settings

from referral.models import CODE_ALPHABET, CODE_LENGTH, SCENE_ALLOWED, SCENE_MAX_LENGTH

_CROCKFORD_READ = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SCENE_RE = re.compile(rf"^[{SCENE_ALLOWED}]{{1,{SCENE_MAX_LENGTH}}}$")
_MAX_INPUT = 64


def code_generate(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def code_normalize(raw: str) -> str:
    """A typed or scanned user code as stored, or "" when it cannot be one."""
    code = re.sub(r"[\s-]", "", raw or "").upper().translate(_CROCKFORD_READ)
    if not 4 <= len(code) <= 16 or any(char not in CODE_ALPHABET for char in code):
        return ""
    return code


def channel_code_normalize(raw: str) -> str:
    code = (raw or "").strip().upper()
    return code if re.fullmatch(r"[0-9A-Z][0-9A-Z-]{1,23}", code) else ""


def scene_for_user(code: str) -> str:
    return f"r={code}"


def scene_for_channel(code: str) -> str:
    return f"c={code}"


def scene_is_valid(scene: str) -> bool:
    return bool(_SCENE_RE.match(scene))


def share_url_for(code: str) -> str:
    return f"{settings.SITE_URL}/r/{code}"


def touch_parse(referral: str = "", channel: str = "") -> tuple[str, str]:
    """(user code, channel code) from login input: `referral` is a code or a scene, `channel` a
    channel code or a scene. Either may be URL-encoded (WeChat hands the scene over encoded).
    What cannot be a code comes back as ""."""
    user_code, channel_code = "", ""
    for raw, bare_is_channel in ((referral, False), (channel, True)):
        text = unquote((raw or "").strip())[:_MAX_INPUT]
        if not text:
            continue
        if "=" not in text:
            if bare_is_channel:
                channel_code = channel_code or channel_code_normalize(text)
            else:
                # A bare code may be a user's or a channel's; the caller tries both.
                user_code = user_code or text
            continue
        for part in text.split("&"):
            key, _sep, value = part.partition("=")
            key = key.strip().lower()
            if key == "r" and not user_code:
                user_code = value.strip()
            elif key == "c" and not channel_code:
                channel_code = channel_code_normalize(value)
    return user_code, channel_code
