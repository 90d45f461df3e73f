"""A local stand-in for WeChat, for the demo and tests. It keeps what it "sent" for inspection."""

import hashlib
import io
import re
from urllib.parse import urlencode

import qrcode

from core.wechat.base import URLLINK_MAX_DAYS, WeChatClient, WeChatError, WeChatPhone, WeChatSession

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# A URL Link of the fake WeChat: on a reserved domain (.invalid), so nobody mistakes it for a real one.
FAKE_URLLINK_BASE = "https://wxaurl.invalid/fake-urllink"


class FakeWeChatClient(WeChatClient):
    def __init__(self):
        self.sent_messages: list[dict] = []
        self.urllinks: list[dict] = []

    def code_to_session(self, code: str) -> WeChatSession:
        code = (code or "").strip()
        if not code or len(code) > 64 or code.startswith("invalid"):
            raise WeChatError(40029, "invalid code")
        if code.startswith("busy"):
            raise WeChatError(WeChatError.BUSY, "system error")
        session_key = hashlib.sha256(f"session:{code}".encode()).hexdigest()[:24]
        return WeChatSession(openid=f"fake-{code}", session_key=session_key, unionid="")

    def get_phone_number(self, code: str) -> WeChatPhone:
        code = (code or "").strip()
        if not MAINLAND_MOBILE.match(code):
            raise WeChatError(40029, "invalid code")
        return WeChatPhone(phone=code, pure_phone=code, country_code="86")

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "fake-access-token"

    def get_unlimited_code(self, *, scene: str, page: str = "", width: int = 430) -> bytes:
        # A plain QR of the scene stands in for WeChat's round mini-program code.
        image = qrcode.make(scene)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    def send_subscribe_message(self, *, openid: str, template_id: str, data: dict, page: str = "") -> None:
        self.sent_messages.append({"openid": openid, "template_id": template_id, "data": data, "page": page})

    def generate_urllink(self, path: str, query: str = "", *, expire_days: int = URLLINK_MAX_DAYS) -> str:
        if not 1 <= expire_days <= URLLINK_MAX_DAYS:
            raise ValueError(f"a URL Link lives 1 to {URLLINK_MAX_DAYS} days, not {expire_days}")
        self.urllinks.append({"path": path, "query": query, "expire_days": expire_days})
        return f"{FAKE_URLLINK_BASE}?{urlencode({'path': path.lstrip('/'), 'query': query})}"
