"""Reads about red packets: the campaigns open now, one packet with its opens, a share link."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from campaigns.redpacket.models import RedPacket, RedPacketCampaign, RedPacketOpen
from core.clock import now
from core.exceptions import ApplicationError
from core.models import User
from referral.codes import share_url_for
from referral.models import ReferralProfile


def redpacket_campaigns_open() -> QuerySet[RedPacketCampaign]:
    """Campaigns a user may start a packet of now."""
    moment = now()
    return (
        RedPacketCampaign.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=moment), Q(ends_at__isnull=True) | Q(ends_at__gt=moment))
        .order_by("sort_order", "id")
    )


def redpacket_get(*, packet_id: int) -> RedPacket:
    """A packet as its share page shows it, to anyone logged in: the page is sent to friends."""
    packet = RedPacket.objects.select_related("campaign", "user").filter(pk=packet_id).first()
    if packet is None:
        raise ApplicationError("not_found", _("Not found."), 404)
    return packet


@dataclass(frozen=True, slots=True)
class OpenRow:
    """One open as the share page lists it: who (their name and face), what they got, when."""

    pk: int
    helper_id: int
    nickname: str
    avatar_url: str
    amount: int
    bonus: int
    position: int


def redpacket_opens(*, packet: RedPacket) -> list[OpenRow]:
    """The opens in the order they happened (the helpers' list on the share page), as plain rows:
    a packet of a hundred friends made every open's answer build a hundred opens and a hundred
    users (docs/benchmarks.md, finding 32)."""
    avatar = User._meta.get_field("avatar")
    rows = (
        RedPacketOpen.objects.filter(packet=packet)
        .order_by("position")
        .values_list(
            "pk", "helper_id", "helper__nickname", "helper__avatar", "helper__avatar_url", "amount", "bonus", "position"
        )
    )
    return [
        # As User.display_avatar_url: an uploaded avatar wins over a URL from WeChat.
        OpenRow(pk, helper_id, nickname, avatar.storage.url(uploaded) if uploaded else wechat_url, amount, bonus, n)
        for pk, helper_id, nickname, uploaded, wechat_url, amount, bonus, n in rows
    ]


def redpacket_share_url(*, packet: RedPacket) -> str:
    """A plain QR code's link: the starter's referral landing page, naming the packet."""
    code = ReferralProfile.objects.filter(user_id=packet.user_id).values_list("code", flat=True).first()
    return f"{share_url_for(code)}?{packet.scene}" if code else ""
