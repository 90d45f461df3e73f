"""Django finds an app's models here; each play defines its own in its package."""

from campaigns.assist.models import AssistCampaign, AssistHelp, AssistTask
from campaigns.groupbuy.models import GroupBuyGroup, GroupBuyMember, GroupBuyOffer
from campaigns.lottery.models import Lottery, LotteryDraw, LotteryPrize  # noqa: F401
from campaigns.quiz.models import QuizAttempt, QuizConfig, QuizQuestion, QuizTopic  # noqa: F401
from campaigns.redpacket.models import RedPacket, RedPacketCampaign, RedPacketOpen  # noqa: F401

__all__ = ["AssistCampaign", "AssistHelp", "AssistTask", "GroupBuyGroup", "GroupBuyMember", "GroupBuyOffer"]
