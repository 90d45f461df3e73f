from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import AbsoluteUrlField, OptionalUrlField, StrictCharField


class WeChatLoginInput(serializers.Serializer):
    code = StrictCharField(max_length=128, help_text=_("The code from wx.login()."))
    referral = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    channel = StrictCharField(max_length=64, required=False, allow_blank=True, default="")


class LoginUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()
    avatar_url = AbsoluteUrlField()
    referral_code = serializers.CharField(help_text=_("The user's own referral code."))
    is_new = serializers.BooleanField()


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class WeChatLoginOutput(TokenPairOutput):
    user = LoginUserOutput()


class StaffLoginInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, style={"input_type": "password"})


class InvitedByOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()


class MePingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()
    avatar_url = AbsoluteUrlField()
    phone_verified = serializers.BooleanField()
    points = serializers.IntegerField(help_text=_("Points balance."))
    growth = serializers.IntegerField(help_text=_("Growth value."))
    level = serializers.CharField(allow_null=True, help_text=_("Membership level name, or null."))
    referral_code = serializers.CharField(help_text=_("The user's own referral code."))
    invited_by = InvitedByOutput(allow_null=True, help_text=_("Who invited the user, or null."))


class MeUpdateInput(serializers.Serializer):
    nickname = StrictCharField(max_length=64, required=False, allow_blank=False)
    avatar_url = OptionalUrlField(max_length=500, required=False)


class PhoneInput(serializers.Serializer):
    code = StrictCharField(max_length=128, help_text=_("The code from getPhoneNumber."))


class AvatarInput(serializers.Serializer):
    file = serializers.FileField()
