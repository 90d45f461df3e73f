from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import AbsoluteUrlField


class RedPacketCampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    amount = serializers.IntegerField(help_text=_("The starter's packet in points, paid when it is filled."))
    needed = serializers.IntegerField(help_text=_("Friends who must open the packet."))
    pool = serializers.IntegerField(help_text=_("Points split at random among those friends."))
    new_user_bonus = serializers.IntegerField(help_text=_("Extra points for a friend new to the mini-program."))
    expires_in_hours = serializers.IntegerField()


class RedPacketHelperOutput(serializers.Serializer):
    nickname = serializers.CharField()
    avatar_url = AbsoluteUrlField()
    amount = serializers.IntegerField(help_text=_("Their share of the pool."))
    bonus = serializers.IntegerField(help_text=_("Their new-user bonus, on top of the share."))
    luckiest = serializers.BooleanField(help_text=_("The largest share of a filled packet (手气最佳)."))


class RedPacketOutput(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField(help_text=_("open, paid or expired"))
    amount = serializers.IntegerField(help_text=_("The starter's packet in points."))
    pool = serializers.IntegerField(help_text=_("The helpers' pool in points."))
    needed = serializers.IntegerField(help_text=_("Friends who must open it."))
    helpers = RedPacketHelperOutput(many=True, help_text=_("The friends who opened it, in order."))
    expires_at = serializers.DateTimeField()
    scene = serializers.CharField(help_text=_("The share scene: p=<id>."))
    share_url = serializers.CharField(help_text=_("A plain QR code's link: the starter's landing page."))
    mine = serializers.BooleanField(help_text=_("Whether the caller started this packet."))
    opened = serializers.BooleanField(help_text=_("Whether the caller has opened this packet."))


class RedPacketOpenOutput(serializers.Serializer):
    amount = serializers.IntegerField(help_text=_("The caller's share of the pool."))
    bonus = serializers.IntegerField(help_text=_("The new-user bonus paid on top (0 when not new)."))
    points = serializers.IntegerField(help_text=_("The caller's points balance afterwards."))
    packet = RedPacketOutput()
