from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from mall.api.serializers import CouponOutput


class LotteryPrizeOutput(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text=_("Null for 谢谢参与 that stands for prizes out of stock.")
    )
    name = serializers.CharField()
    kind = serializers.CharField(help_text=_("points, product or none"))
    probability = serializers.FloatField(help_text=_("The chance of this outcome now, from 0 to 1 (概率公示)."))


class LotteryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text=_("wheel or grid"))
    cost = serializers.IntegerField(help_text=_("Points a draw costs after the free ones (0: free draws only)."))
    draws_left_today = serializers.IntegerField(help_text=_("Draws the caller may still make today, free or paid."))
    free_draws_left_today = serializers.IntegerField(help_text=_("How many of them are free."))
    prizes = LotteryPrizeOutput(many=True, help_text=_("In wheel or grid order; the probabilities sum to 1."))


class DrawPrizeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=_("points, product or none"))


class LotteryDrawOutput(serializers.Serializer):
    id = serializers.IntegerField()
    lottery = serializers.IntegerField()
    prize = DrawPrizeOutput(allow_null=True, help_text=_("Null: nothing won."))
    points_won = serializers.IntegerField()
    cost = serializers.IntegerField(help_text=_("Points the draw cost (0 for a free draw)."))
    coupon = CouponOutput(allow_null=True, help_text=_("The voucher a product prize gave."))
    created_at = serializers.DateTimeField()


class LotteryDrawResultOutput(LotteryDrawOutput):
    points = serializers.IntegerField(help_text=_("The caller's points balance after the draw."))


class LotteryDrawPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LotteryDrawOutput(many=True)
