from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import AbsoluteUrlField
from core.models import SlotItem
from core.slots import slot_items


class SlotItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    image_url = AbsoluteUrlField()
    link_type = serializers.ChoiceField(choices=SlotItem.LinkType.choices)
    target = serializers.CharField(help_text=_("An id for product, challenge, group-buy; a path or URL."))


class SlotOutput(serializers.Serializer):
    key = serializers.CharField()
    items = SlotItemOutput(many=True)


class SlotDetailApi(APIView):
    """Public: what an ops slot (运营位) shows now. No token needed."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="An ops slot (public)",
        description="What the ops slot (运营位, such as `home_banner`) `key` shows now: its banners in "
        "the operator's order, each linking to a product, a challenge, a group-buy, a mini-program "
        "page or a URL (`link_type`, `target`). No token needed. An empty slot answers an empty "
        "`items`; an unknown key 404 `not_found`.",
        auth=[],
        responses={200: SlotOutput},
    )
    def get(self, request, key: str):
        items = slot_items(key=key)
        if items is None:
            raise Http404
        return Response(SlotOutput({"key": key, "items": items}, context={"request": request}).data)
