from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import AbsoluteUrlField, QueryInput


class ReferralMeOutput(serializers.Serializer):
    code = serializers.CharField()
    scene = serializers.CharField(help_text=_("What a mini-program code carries, such as r=7KQ2MX3."))
    share_url = serializers.CharField()
    invited = serializers.IntegerField()
    qualified = serializers.IntegerField()
    rewarded_points = serializers.IntegerField()


class ReferralPosterInput(QueryInput):
    template = serializers.IntegerField(required=False, min_value=1, help_text=_("A poster template id."))


class ReferralInviteeUserOutput(serializers.Serializer):
    nickname = serializers.CharField()
    avatar_url = AbsoluteUrlField(source="display_avatar_url")


class ReferralInviteeOutput(serializers.Serializer):
    user = ReferralInviteeUserOutput(source="invitee")
    status = serializers.CharField(help_text=_("registered, qualified, held, rejected or revoked."))
    joined_at = serializers.DateTimeField(source="created_at")


class ReferralLeaderboardInput(QueryInput):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class ReferralLeaderboardUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()
    avatar_url = AbsoluteUrlField()


class ReferralLeaderboardEntryOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    user = ReferralLeaderboardUserOutput()
    score = serializers.IntegerField()


class ReferralLeaderboardMeOutput(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.IntegerField()


class ReferralLeaderboardOutput(serializers.Serializer):
    entries = ReferralLeaderboardEntryOutput(many=True)
    me = ReferralLeaderboardMeOutput()


class ReferralCommissionInviteeOutput(serializers.Serializer):
    nickname = serializers.CharField()


class ReferralCommissionOutput(serializers.Serializer):
    invitee = ReferralCommissionInviteeOutput()
    order = serializers.IntegerField(help_text=_("The friend's mall order."))
    amount = serializers.IntegerField(help_text=_("Commission in points (0 when the monthly cap left nothing)."))
    status = serializers.ChoiceField(
        choices=["held", "paid", "void"],
        help_text=_("held until the order completes, then paid; void when it was cancelled or capped."),
    )
    created_at = serializers.DateTimeField()
