"""What the share landing page (`/r/<code>`) shows besides the invitation: the clinic's name and
logo (referral settings, edited in admin) and an "open the mini-program" link.

The link is a WeChat URL Link (https://wxaurl.cn/...), made through the WeChat adapter. Links
expire, so each is asked for with a life of URLLINK_DAYS and kept in the cache for much less
(URLLINK_CACHE_SECONDS): a page never hands out a link about to die, and a changed page path in
the settings reaches every code within a week. When WeChat refuses, the page goes without the
button (its written instructions still work) and WeChat is not asked again for a few minutes.
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache

from core.wechat import URLLINK_MAX_DAYS, WeChatError, get_wechat_client
from referral.codes import scene_for_channel, scene_for_user
from referral.selectors import referral_config

logger = logging.getLogger(__name__)

URLLINK_DAYS = URLLINK_MAX_DAYS
URLLINK_CACHE_SECONDS = 7 * 24 * 60 * 60
URLLINK_REFUSED_CACHE_SECONDS = 5 * 60
# A cached link always has at least this long to live when a page hands it out.
URLLINK_MIN_LIFE_LEFT_SECONDS = URLLINK_DAYS * 24 * 60 * 60 - URLLINK_CACHE_SECONDS
assert URLLINK_MIN_LIFE_LEFT_SECONDS >= 24 * 60 * 60, "a cached URL Link must outlive the cache by a day"


@dataclass(frozen=True)
class Branding:
    name: str
    logo_url: str


def landing_branding() -> Branding:
    """The clinic as operators set it in admin (referral settings): name, and an uploaded logo
    before a logo URL."""
    config = referral_config()
    logo = config.clinic_logo.url if config.clinic_logo else config.clinic_logo_url
    return Branding(name=config.clinic_name.strip(), logo_url=logo)


def _cache_key(path: str, query: str) -> str:
    return f"referral:urllink:v1:{path}?{query}"


def landing_open_link(*, code: str, is_channel: bool = False) -> str:
    """A link that opens the mini-program's landing page with the invitation (`r=<code>`, or
    `c=<code>` for a channel), from the cache while it has a long life left; "" when WeChat
    refuses (the page then shows its written instructions only)."""
    path = referral_config().landing_page_path
    query = scene_for_channel(code) if is_channel else scene_for_user(code)
    key = _cache_key(path, query)
    cached = cache.get(key)
    if cached is not None:
        return cached["link"]
    try:
        link = get_wechat_client().generate_urllink(path, query, expire_days=URLLINK_DAYS)
    except WeChatError as exc:
        logger.warning("URL Link for %s refused (%s); the landing page goes without the button", query, exc)
        cache.set(key, {"link": ""}, URLLINK_REFUSED_CACHE_SECONDS)
        return ""
    cache.set(key, {"link": link}, URLLINK_CACHE_SECONDS)
    return link
