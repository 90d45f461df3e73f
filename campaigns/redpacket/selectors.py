"""Reads about red packets: the campaigns open now, one packet with its opens, a share link."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from campaigns.redpacket.models import RedPacket, RedPacketCampaign, RedPacketOpen
from core.clock import now
from core.exceptions import ApplicationError
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
    packet = (
        RedPacket.objects.select_related("campaign", "user")
        .prefetch_related("opens__helper")
        .filter(pk=packet_id)
        .first()
    )
    if packet is None:
        raise ApplicationError("not_found", _("Not found."), 404)
    return packet


def redpacket_opens(*, packet: RedPacket) -> list[RedPacketOpen]:
    """The opens in the order they happened (the helpers' list on the share page)."""
    return sorted(packet.opens.all(), key=lambda opened: opened.position)


def redpacket_share_url(*, packet: RedPacket) -> str:
    """A plain QR code's link: the starter's referral landing page, naming the packet."""
    code = ReferralProfile.objects.filter(user_id=packet.user_id).values_list("code", flat=True).first()
    return f"{share_url_for(code)}?{packet.scene}" if code else ""
