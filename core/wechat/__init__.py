from core.wechat.base import (
    URLLINK_MAX_DAYS,
    WeChatClient,
    WeChatError,
    WeChatPhone,
    WeChatSession,
    get_wechat_client,
)

__all__ = ["URLLINK_MAX_DAYS", "WeChatClient", "WeChatError", "WeChatPhone", "WeChatSession", "get_wechat_client"]
