from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import StrictCharField


class AssistProductOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    image_url = serializers.CharField()
    price = serializers.IntegerField(help_text=_("The product's ordinary price in points."))


class AssistRewardOutput(serializers.Serializer):
    kind = serializers.CharField(help_text=_("points or product"))
    points = serializers.IntegerField(help_text=_("Points granted (0 when the reward is a product)."))
    product = AssistProductOutput(allow_null=True)


class AssistCampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text=_("assist or bargain"))
    reward = AssistRewardOutput(help_text=_("What completing an assist grants; a bargain's product."))
    required = serializers.IntegerField(help_text=_("Helpers needed."))
    expires_in_hours = serializers.IntegerField()
    floor_price = serializers.IntegerField(help_text=_("Bargain: the lowest price helps can reach."))


class AssistTaskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField(help_text=_("open, completed, redeemed or expired"))
    helpers = serializers.ListField(child=serializers.CharField(), help_text=_("Nicknames, in help order."))
    progress = serializers.IntegerField(help_text=_("Helpers counted (a new user may count two)."))
    required = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    reward = AssistRewardOutput()
    start_price = serializers.IntegerField(help_text=_("Bargain: the price before any help."))
    current_price = serializers.IntegerField(help_text=_("Bargain: the price now."))
    floor_price = serializers.IntegerField()
    mine = serializers.BooleanField(help_text=_("Whether the caller started this task."))
    helped = serializers.BooleanField(help_text=_("Whether the caller has helped this task."))
    order = serializers.IntegerField(allow_null=True, help_text=_("The reward or bargain order (starter only)."))
    scene = serializers.CharField(help_text=_("The share scene: a=<id>."))


class AssistTaskPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AssistTaskOutput(many=True)


class BargainRedeemInput(serializers.Serializer):
    address = StrictCharField(required=False, allow_blank=True, max_length=300, default="")
    store = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)

    def to_internal_value(self, data):
        value = data.get("store") if hasattr(data, "get") else None
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise serializers.ValidationError({"store": [_("Must be an integer.")]})
        return super().to_internal_value(data)
