from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.redpacket.api import errors as e
from campaigns.redpacket.api import serializers as s
from campaigns.redpacket.models import RedPacket, RedPacketCampaign
from campaigns.redpacket.selectors import redpacket_campaigns_open, redpacket_get, redpacket_opens, redpacket_share_url
from campaigns.redpacket.services import redpacket_open, redpacket_start


def _campaign_data(campaign: RedPacketCampaign) -> dict:
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "amount": campaign.amount,
        "needed": campaign.helpers_needed,
        "pool": campaign.pool,
        "new_user_bonus": campaign.new_user_bonus,
        "expires_in_hours": campaign.time_limit_hours,
    }


def _packet_data(packet: RedPacket, user) -> dict:
    opens = redpacket_opens(packet=packet)
    luckiest = None
    if packet.status == RedPacket.Status.PAID and opens:
        luckiest = max(opens, key=lambda opened: (opened.amount, -opened.position)).pk
    return {
        "id": packet.pk,
        "campaign": packet.campaign_id,
        "title": packet.campaign.title,
        "status": packet.status,
        "amount": packet.amount,
        "pool": packet.pool,
        "needed": packet.needed,
        "helpers": [
            {
                "nickname": opened.nickname,
                "avatar_url": opened.avatar_url,
                "amount": opened.amount,
                "bonus": opened.bonus,
                "luckiest": opened.pk == luckiest,
            }
            for opened in opens
        ],
        "expires_at": packet.expires_at,
        "scene": packet.scene,
        "share_url": redpacket_share_url(packet=packet),
        "mine": packet.user_id == user.pk,
        "opened": any(opened.helper_id == user.pk for opened in opens),
    }


class RedPacketCampaignListApi(APIView):
    @extend_schema(
        summary="Red packet campaigns",
        description="The red packet campaigns open now (拆红包): the starter's packet `amount`, paid once "
        "`needed` friends have opened it, the `pool` those friends share at random (拼手气), a bonus for "
        "friends new to the mini-program, and the hours a packet has.",
        responses={200: s.RedPacketCampaignOutput(many=True)},
    )
    def get(self, request):
        rows = [_campaign_data(campaign) for campaign in redpacket_campaigns_open()]
        return Response(s.RedPacketCampaignOutput(rows, many=True).data)


class RedPacketStartApi(APIView):
    throttle_scope = "write"
    error_codes = [e.CAMPAIGN_CLOSED, e.PACKETS_LIMIT_REACHED]

    @extend_schema(
        summary="Start a red packet",
        description="Starts the caller's packet of a campaign, to share with its `scene` (`p=<id>`) or "
        "`share_url`. Nothing is paid yet. Answers 201 with the new packet, or 200 with the caller's "
        "packet of the campaign still open, so a double tap never starts two. An unknown or "
        "switched-off campaign is 404 `not_found`.",
        request=None,
        responses={201: s.RedPacketOutput, 200: s.RedPacketOutput},
    )
    def post(self, request, campaign_id: int):
        packet, created = redpacket_start(user=request.user, campaign_id=campaign_id)
        data = _packet_data(redpacket_get(packet_id=packet.pk), request.user)
        return Response(
            s.RedPacketOutput(data, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RedPacketDetailApi(APIView):
    @extend_schema(
        summary="One red packet",
        description="A packet, for its share page (anyone logged in may read it): status, the friends "
        "who opened it with their shares (nicknames only), whether it is the caller's (`mine`) and "
        "whether the caller `opened` it.",
        responses={200: s.RedPacketOutput},
    )
    def get(self, request, packet_id: int):
        data = _packet_data(redpacket_get(packet_id=packet_id), request.user)
        return Response(s.RedPacketOutput(data, context={"request": request}).data)


class RedPacketOpenApi(APIView):
    throttle_scope = "write"
    error_codes = [e.CANNOT_OPEN_OWN, e.ALREADY_OPENED, e.PACKET_CLOSED, e.OPEN_LIMIT_REACHED]

    @extend_schema(
        summary="Open a friend's red packet",
        description="The caller opens a friend's packet, once, and is paid at once: `amount`, a random "
        "share of the pool, plus `bonus` when the caller is new to the mini-program (a new user is "
        "also bound to the friend as an invitee). The open that fills the packet pays the starter. "
        "Answers 200 with the points and the caller's balance (`points`).",
        request=None,
        responses={200: s.RedPacketOpenOutput},
    )
    def post(self, request, packet_id: int):
        result = redpacket_open(helper=request.user, packet_id=packet_id)
        data = {
            "amount": result.opened.amount,
            "bonus": result.opened.bonus,
            "points": result.balance,
            "packet": _packet_data(result.packet, request.user),  # as the open left it, with its campaign
        }
        return Response(s.RedPacketOpenOutput(data, context={"request": request}).data)
