"""The WeChat adapter: what the service needs from WeChat's server API, as one interface.

The class is chosen by the WECHAT_CLIENT setting (from WECHAT_MODE): `LiveWeChatClient` speaks
HTTP to WeChat, `FakeWeChatClient` answers locally for the demo and tests.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

# WeChat lets a URL Link live at most this many days (expire_type 1, expire_interval).
URLLINK_MAX_DAYS = 30


class WeChatError(Exception):
    """WeChat refused or could not answer. `errcode` is WeChat's, or negative for transport errors."""

    # WeChat's codes for a login/phone code that is wrong, used or expired: the client's fault.
    INVALID_CODE_ERRCODES = frozenset({40029, 40163, 40226, 40013, 41008})
    TRANSPORT = -100  # timeout, refused connection, unreadable answer
    BUSY = -1  # WeChat's own "system busy"

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def is_invalid_code(self) -> bool:
        return self.errcode in self.INVALID_CODE_ERRCODES


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    session_key: str
    unionid: str = ""


@dataclass(frozen=True)
class WeChatPhone:
    phone: str  # as WeChat gives it, with country code when not mainland
    pure_phone: str
    country_code: str


class WeChatClient:
    """The interface. Each method raises WeChatError when WeChat does not give what was asked."""

    def code_to_session(self, code: str) -> WeChatSession:
        raise NotImplementedError

    def get_phone_number(self, code: str) -> WeChatPhone:
        raise NotImplementedError

    def get_access_token(self, force_refresh: bool = False) -> str:
        raise NotImplementedError

    def get_unlimited_code(self, *, scene: str, page: str = "", width: int = 430) -> bytes:
        """A mini-program code image (PNG or JPEG bytes) carrying `scene` (at most 32 chars)."""
        raise NotImplementedError

    def send_subscribe_message(self, *, openid: str, template_id: str, data: dict, page: str = "") -> None:
        raise NotImplementedError

    def generate_urllink(self, path: str, query: str = "", *, expire_days: int = URLLINK_MAX_DAYS) -> str:
        """A URL Link (https://wxaurl.cn/...) that opens the mini-program at `path` (a page, no
        leading slash) with `query` (`a=1&b=2`) from outside WeChat's chat (a browser, an SMS).
        It stops working after `expire_days` days (WeChat allows 1 to URLLINK_MAX_DAYS)."""
        raise NotImplementedError


@lru_cache(maxsize=4)
def _client_for(dotted_path: str) -> WeChatClient:
    return import_string(dotted_path)()


def get_wechat_client() -> WeChatClient:
    return _client_for(settings.WECHAT_CLIENT)
