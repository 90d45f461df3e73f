"""WeChat's server API over HTTP (httpx). Tests drive it through a mock transport or a local server."""

import json
import logging
import threading
from contextlib import contextmanager

import httpx
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import LockError, RedisError

from core.wechat.base import URLLINK_MAX_DAYS, WeChatClient, WeChatError, WeChatPhone, WeChatSession

logger = logging.getLogger(__name__)

# errcodes meaning the access token is no longer valid: refresh it once and retry.
TOKEN_INVALID_ERRCODES = frozenset({40001, 40014, 42001})
# Refresh a little before WeChat's stated expiry so no request carries a token about to die.
TOKEN_EXPIRY_MARGIN_SECONDS = 300
# How long the token-fetch lock may be held, and how long a caller waits for another's fetch.
TOKEN_LOCK_TIMEOUT_SECONDS = 30
TOKEN_LOCK_WAIT_SECONDS = 10

_local_token_lock = threading.Lock()


@contextmanager
def _token_fetch_lock(name: str):
    """One fetcher at a time: across processes with Redis's lock, within one with a thread lock.

    Waiting too long is WeChat's trouble (a WeChatError), not an unhandled lock error.
    """
    if hasattr(cache, "lock"):
        lock = cache.lock(name, timeout=TOKEN_LOCK_TIMEOUT_SECONDS, blocking_timeout=TOKEN_LOCK_WAIT_SECONDS)
        try:
            acquired = lock.acquire()
        except RedisError:
            # Redis is down: lock within this process only rather than fail every WeChat call.
            logger.warning("access-token lock %s: Redis unavailable, locking in this process", name)
            lock = _local_token_lock
            acquired = lock.acquire(timeout=TOKEN_LOCK_WAIT_SECONDS)
    else:
        lock = _local_token_lock
        acquired = lock.acquire(timeout=TOKEN_LOCK_WAIT_SECONDS)
    if not acquired:
        raise WeChatError(WeChatError.TRANSPORT, "timed out waiting for another access-token fetch")
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:  # a Redis lock that expired meanwhile; the token was fetched all the same
            logger.warning("access-token lock %s expired before release", name)
        except RedisError:  # Redis went away meanwhile; the lock expires by itself
            logger.warning("access-token lock %s: Redis unavailable at release", name)


class LiveWeChatClient(WeChatClient):
    def __init__(
        self,
        *,
        appid: str | None = None,
        secret: str | None = None,
        api_base: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.appid = appid or settings.WECHAT_APPID
        self.secret = secret or settings.WECHAT_SECRET
        self.http = httpx.Client(
            base_url=api_base or settings.WECHAT_API_BASE,
            timeout=timeout or settings.WECHAT_TIMEOUT_SECONDS,
            transport=transport,
        )

    # -- plumbing --------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise WeChatError(WeChatError.TRANSPORT, f"timeout calling {path}") from exc
        except httpx.HTTPError as exc:
            raise WeChatError(WeChatError.TRANSPORT, f"{type(exc).__name__} calling {path}") from exc
        if response.status_code >= 400:
            raise WeChatError(WeChatError.TRANSPORT, f"HTTP {response.status_code} from {path}")
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        """WeChat reports errors as errcode/errmsg inside a 200 answer."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise WeChatError(WeChatError.TRANSPORT, "answer is not JSON") from exc
        if not isinstance(body, dict):
            raise WeChatError(WeChatError.TRANSPORT, "answer is not a JSON object")
        errcode = body.get("errcode") or 0
        if errcode != 0:
            raise WeChatError(int(errcode), str(body.get("errmsg", "")))
        return body

    @staticmethod
    def _token_rejected(response: httpx.Response) -> bool:
        if not response.headers.get("content-type", "").startswith(("application/json", "text/plain")):
            return False
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
        return isinstance(body, dict) and body.get("errcode") in TOKEN_INVALID_ERRCODES

    def _with_token(self, method: str, path: str, **kwargs) -> httpx.Response:
        """Call an endpoint that needs the access token, refreshing it once if WeChat says it died."""
        token = self.get_access_token()
        response = self._request(method, path, params={"access_token": token}, **kwargs)
        if self._token_rejected(response):
            logger.warning("WeChat rejected the access token on %s; refreshing once", path)
            token = self._access_token(force_refresh=True, rejected=token)
            response = self._request(method, path, params={"access_token": token}, **kwargs)
        return response

    # -- the interface ---------------------------------------------------------------------

    def code_to_session(self, code: str) -> WeChatSession:
        response = self._request(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self.secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        body = self._json(response)
        if not body.get("openid"):
            raise WeChatError(WeChatError.TRANSPORT, "jscode2session answered without an openid")
        return WeChatSession(
            openid=body["openid"], session_key=body.get("session_key", ""), unionid=body.get("unionid", "")
        )

    def get_phone_number(self, code: str) -> WeChatPhone:
        response = self._with_token("POST", "/wxa/business/getuserphonenumber", json={"code": code})
        info = self._json(response).get("phone_info") or {}
        if not info.get("purePhoneNumber"):
            raise WeChatError(WeChatError.TRANSPORT, "getuserphonenumber answered without a number")
        return WeChatPhone(
            phone=info.get("phoneNumber", info["purePhoneNumber"]),
            pure_phone=info["purePhoneNumber"],
            country_code=str(info.get("countryCode", "")),
        )

    def _token_cache_key(self) -> str:
        return f"wechat:access_token:{self.appid}"

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._access_token(force_refresh=force_refresh)

    def _access_token(self, *, force_refresh: bool, rejected: str | None = None) -> str:
        """The cached token, else a fresh one from stable_token.

        `rejected` is the token WeChat just refused: if the cache already holds another one, a
        concurrent caller has refreshed it and that one is used. A forced refresh invalidates the
        previous token at WeChat and is rate-limited, so N requests that saw the same dead token
        must cause one forced refresh, not N (each of which would kill the token the last fetched).
        """
        key = self._token_cache_key()
        if not force_refresh:
            token = cache.get(key)
            if token:
                return token
        with _token_fetch_lock(f"{key}:lock"):
            token = cache.get(key)
            if token and (not force_refresh or (rejected is not None and token != rejected)):
                return token
            body = self._json(
                self._request(
                    "POST",
                    "/cgi-bin/stable_token",
                    json={
                        "grant_type": "client_credential",
                        "appid": self.appid,
                        "secret": self.secret,
                        "force_refresh": bool(force_refresh),
                    },
                )
            )
            token = body.get("access_token")
            if not token:
                raise WeChatError(WeChatError.TRANSPORT, "stable_token answered without a token")
            ttl = max(int(body.get("expires_in", 7200)) - TOKEN_EXPIRY_MARGIN_SECONDS, 60)
            cache.set(key, token, ttl)
            return token

    def get_unlimited_code(self, *, scene: str, page: str = "", width: int = 430) -> bytes:
        payload = {"scene": scene, "width": width, "check_path": False}
        if page:
            payload["page"] = page
        response = self._with_token("POST", "/wxa/getwxacodeunlimit", json=payload)
        if not response.headers.get("content-type", "").startswith("image/"):
            self._json(response)  # raises WeChat's error
            raise WeChatError(WeChatError.TRANSPORT, "getwxacodeunlimit answered without an image")
        return response.content

    def send_subscribe_message(self, *, openid: str, template_id: str, data: dict, page: str = "") -> None:
        payload = {
            "touser": openid,
            "template_id": template_id,
            "data": {name: {"value": value} for name, value in data.items()},
        }
        if page:
            payload["page"] = page
        self._json(self._with_token("POST", "/cgi-bin/message/subscribe/send", json=payload))

    def generate_urllink(self, path: str, query: str = "", *, expire_days: int = URLLINK_MAX_DAYS) -> str:
        if not 1 <= expire_days <= URLLINK_MAX_DAYS:
            raise ValueError(f"a URL Link lives 1 to {URLLINK_MAX_DAYS} days, not {expire_days}")
        payload = {
            "path": path.lstrip("/"),
            "query": query,
            "expire_type": 1,  # expires `expire_interval` days after it is generated
            "expire_interval": expire_days,
            "env_version": "release",
        }
        body = self._json(self._with_token("POST", "/wxa/generate_urllink", json=payload))
        link = body.get("url_link")
        if not isinstance(link, str) or not link.startswith("https://"):
            raise WeChatError(WeChatError.TRANSPORT, "generate_urllink answered without a link")
        return link
