from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.groupbuy.api import serializers as s
from campaigns.groupbuy.selectors import groupbuy_group_get, groupbuy_member_nicknames, groupbuy_offers_open
from campaigns.groupbuy.services import groupbuy_group_join, groupbuy_group_open


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
    @extend_schema(responses={200: s.GroupBuyOfferOutput(many=True)})
    def get(self, request):
        return Response(s.GroupBuyOfferOutput(groupbuy_offers_open(), many=True).data)


class GroupBuyGroupOpenApi(APIView):
    throttle_scope = "write"

    @extend_schema(request=None, responses={201: s.GroupBuyGroupOutput})
    def post(self, request, offer_id: int):
        group = groupbuy_group_open(user=request.user, offer_id=offer_id)
        return Response(s.GroupBuyGroupOutput(_group_data(group.pk)).data, status=status.HTTP_201_CREATED)


class GroupBuyGroupJoinApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=None,
        responses={200: s.GroupBuyGroupOutput},
    )
    def post(self, request, group_id: int):
        group = groupbuy_group_join(user=request.user, group_id=group_id)
        return Response(s.GroupBuyGroupOutput(_group_data(group.pk)).data)


class GroupBuyGroupDetailApi(APIView):
    @extend_schema(responses={200: s.GroupBuyGroupOutput})
    def get(self, request, group_id: int):
        return Response(s.GroupBuyGroupOutput(_group_data(group_id)).data)
