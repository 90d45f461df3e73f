from core.wechat.base import WeChatClient, WeChatError, WeChatPhone, WeChatSession, get_wechat_client

__all__ = ["WeChatClient", "WeChatError", "WeChatPhone", "WeChatSession", "get_wechat_client"]
