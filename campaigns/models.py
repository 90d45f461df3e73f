"""Django finds an app's models here; each play defines its own in its package."""

from campaigns.assist.models import AssistCampaign, AssistHelp, AssistTask
from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember, GroupBuyOffer

__all__ = ["AssistCampaign", "AssistHelp", "AssistTask", "GroupBuyGroup", "GroupBuyMember", "GroupBuyOffer"]
