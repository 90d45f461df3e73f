from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.groupbuy.api import errors as e
from campaigns.groupbuy.api import serializers as s
from campaigns.groupbuy.selectors import groupbuy_group_get, groupbuy_member_nicknames, groupbuy_offers_open
from campaigns.groupbuy.services import groupbuy_group_join, groupbuy_group_open
from mall.api.errors import LEVEL_TOO_LOW, LIMIT_REACHED, OUT_OF_STOCK, TAG_REQUIRED
from points.api.errors import INSUFFICIENT_POINTS


def _group_data(group_id: int) -> dict:
    group = groupbuy_group_get(group_id=group_id)
    return {
        "id": group.pk,
        "status": group.status,
        "members": groupbuy_member_nicknames(group=group),
        "group_size": group.group_size,
        "expires_at": group.expires_at,
        "scene": group.scene,
    }


class GroupBuyOfferListApi(APIView):
    @extend_schema(
        summary="Group-buy offers",
        description="The group-buys (拼团) open now: the mall product, the group size, the group price in "
        "points and how many hours a group has to fill.",
        responses={200: s.GroupBuyOfferOutput(many=True)},
    )
    def get(self, request):
        return Response(s.GroupBuyOfferOutput(groupbuy_offers_open(), many=True).data)


class GroupBuyGroupOpenApi(APIView):
    throttle_scope = "write"
    error_codes = [
        e.OFFER_CLOSED,
        e.OFFER_SOLD_OUT,
        e.GROUPS_LIMIT_REACHED,
        LIMIT_REACHED,
        OUT_OF_STOCK,
        LEVEL_TOO_LOW,
        TAG_REQUIRED,
        INSUFFICIENT_POINTS,
    ]

    @extend_schema(
        summary="Open a group",
        description="The caller opens a group of the offer and joins it as its leader: the group price "
        "moves into the group's escrow and a unit of the product is taken (a mall order awaiting the "
        "group). Share the group with its `scene` (`g=<id>`). Answers 201 with the group. An unknown "
        "or switched-off offer is 404 `not_found`.",
        request=None,
        responses={201: s.GroupBuyGroupOutput},
    )
    def post(self, request, offer_id: int):
        group = groupbuy_group_open(user=request.user, offer_id=offer_id)
        return Response(s.GroupBuyGroupOutput(_group_data(group.pk)).data, status=status.HTTP_201_CREATED)


class GroupBuyGroupJoinApi(APIView):
    throttle_scope = "write"
    error_codes = [
        e.GROUP_FULL,
        e.GROUP_CLOSED,
        e.ALREADY_MEMBER,
        e.NEW_USERS_ONLY,
        LIMIT_REACHED,
        OUT_OF_STOCK,
        LEVEL_TOO_LOW,
        TAG_REQUIRED,
        INSUFFICIENT_POINTS,
    ]

    @extend_schema(
        summary="Join a group",
        description="A friend joins the group through the share: pays the group price into escrow and "
        "takes a unit of the product, as the leader did. The join that fills the group succeeds it: "
        "every member gets the product. A group that does not fill before `expires_at` fails and "
        "every member is refunded. Answers 200 with the group.",
        request=None,
        responses={200: s.GroupBuyGroupOutput},
    )
    def post(self, request, group_id: int):
        group = groupbuy_group_join(user=request.user, group_id=group_id)
        return Response(s.GroupBuyGroupOutput(_group_data(group.pk)).data)


class GroupBuyGroupDetailApi(APIView):
    @extend_schema(
        summary="One group",
        description="A group, for its share page: `status`, members' nicknames in join order, size, "
        "deadline and `scene`. Anyone logged in may read it.",
        responses={200: s.GroupBuyGroupOutput},
    )
    def get(self, request, group_id: int):
        return Response(s.GroupBuyGroupOutput(_group_data(group_id)).data)
