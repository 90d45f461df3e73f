from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import AbsoluteUrlField, OptionalUrlField, StrictCharField, StrictDateField


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
    birthday = serializers.DateField(allow_null=True, help_text=_("The birthday the member gave, or null."))
    gender = serializers.ChoiceField(
        choices=["", "male", "female"], help_text=_("male, female, or empty when not given.")
    )
    city = serializers.CharField(allow_blank=True, help_text=_("The city the member gave, or empty."))


class PrivilegeOutput(serializers.Serializer):
    code = serializers.CharField(
        help_text=_("mall_discount, extra_makeups, extra_lottery_draws, exclusive_products or birthday_gift")
    )
    title = serializers.CharField(help_text=_("What it gives, in the member's language."))


class MeLevelOutput(serializers.Serializer):
    level = serializers.CharField(allow_null=True, help_text=_("Membership level name, or null."))
    growth = serializers.IntegerField(help_text=_("Growth value."))
    next_level = serializers.CharField(allow_null=True, help_text=_("The next level's name, or null at the top."))
    to_next = serializers.IntegerField(
        allow_null=True, help_text=_("Growth still needed for the next level, or null at the top.")
    )
    privileges = PrivilegeOutput(many=True, help_text=_("What the current level gives."))


class MeUpdateInput(serializers.Serializer):
    nickname = StrictCharField(max_length=64, required=False, allow_blank=False)
    avatar_url = OptionalUrlField(max_length=500, required=False)
    birthday = StrictDateField(
        required=False, allow_null=True, help_text=_("YYYY-MM-DD, from 1900-01-01 to today; null clears it.")
    )
    gender = serializers.ChoiceField(
        choices=["", "male", "female"], required=False, help_text=_("male, female, or empty to clear it.")
    )
    city = StrictCharField(max_length=64, required=False, allow_blank=True, help_text=_("Trimmed; empty clears it."))


class PhoneInput(serializers.Serializer):
    code = StrictCharField(max_length=128, help_text=_("The code from getPhoneNumber."))


class AvatarInput(serializers.Serializer):
    file = serializers.FileField()


# -- GET me/export: the member's own data (docs/privacy.md) -------------------------------------


class ExportProfileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()
    avatar_url = AbsoluteUrlField()
    phone = serializers.CharField(help_text=_("The verified phone number, or empty."))
    phone_verified = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    points = serializers.IntegerField()
    growth = serializers.IntegerField()
    level = serializers.CharField(allow_null=True)
    referral_code = serializers.CharField()
    channel = serializers.CharField(allow_null=True, help_text=_("The channel the member arrived through."))
    birthday = serializers.DateField(allow_null=True)
    gender = serializers.CharField(allow_blank=True, help_text=_("male, female, or empty when not given."))
    city = serializers.CharField(allow_blank=True)


class ExportPointsEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()
    kind = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)
    balance_after = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ExportVoucherOutput(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True)


class ExportOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField()
    quantity = serializers.IntegerField()
    points = serializers.IntegerField()
    status = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    vouchers = ExportVoucherOutput(many=True)


class ExportGroupBuyOutput(serializers.Serializer):
    group = serializers.IntegerField()
    product = serializers.CharField()
    price = serializers.IntegerField()
    status = serializers.CharField()
    joined_at = serializers.DateTimeField()


class ExportAssistOutput(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    required = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ExportChallengeEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    challenge = serializers.CharField()
    round_start = serializers.DateField()
    round_end = serializers.DateField()
    stake = serializers.IntegerField()
    status = serializers.CharField()
    checkins = serializers.IntegerField()
    payout = serializers.IntegerField(allow_null=True)
    joined_at = serializers.DateTimeField()


class ExportCheckinOutput(serializers.Serializer):
    id = serializers.IntegerField()
    challenge = serializers.CharField()
    date = serializers.DateField()
    checked_in_at = serializers.DateTimeField()
    makeup = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)
    image_url = serializers.CharField(allow_blank=True)


class ExportInvitedByOutput(serializers.Serializer):
    nickname = serializers.CharField(allow_blank=True)
    bound_at = serializers.DateTimeField()


class ExportInviteeOutput(serializers.Serializer):
    nickname = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    joined_at = serializers.DateTimeField()


class ExportRewardOutput(serializers.Serializer):
    rule = serializers.CharField()
    role = serializers.ChoiceField(choices=["inviter", "invitee"])
    points = serializers.IntegerField()
    clawed_back = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ExportReferralsOutput(serializers.Serializer):
    invited_by = ExportInvitedByOutput(allow_null=True)
    invitees = ExportInviteeOutput(many=True, help_text=_("Friends invited: nicknames only."))
    rewards = ExportRewardOutput(many=True)


class MeExportOutput(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    profile = ExportProfileOutput()
    points_history = ExportPointsEntryOutput(many=True, help_text=_("Every ledger entry, newest first."))
    orders = ExportOrderOutput(many=True)
    group_buys = ExportGroupBuyOutput(many=True)
    assists = ExportAssistOutput(many=True)
    challenge_entries = ExportChallengeEntryOutput(many=True)
    checkins = ExportCheckinOutput(many=True)
    referrals = ExportReferralsOutput()


class MemberCodeOutput(serializers.Serializer):
    code = serializers.CharField(help_text=_("Digits staff scan or type at the front desk."))
    qr = serializers.CharField(help_text=_("A PNG QR of the code, as a data URL."))
    expires_at = serializers.DateTimeField(help_text=_("After this the code is refused: fetch a new one before."))
