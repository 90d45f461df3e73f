from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api import errors as e
from accounts.api import serializers as s
from accounts.selectors import user_export, user_level, user_ping, user_profile
from accounts.services import user_delete, user_login_wechat, user_set_avatar, user_update_profile, user_verify_phone
from core.api.fields import StrictCharField
from core.api.schema import NO_ACTIVE_ACCOUNT, TOKEN_NOT_VALID
from core.exceptions import ApplicationError
from core.http import client_address
from core.member_codes import member_code_issue
from core.tokens import refresh_token_rotate
from mall.services import staff_may_log_in
from referral.services import referral_sharer_seen


def token_pair(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class WeChatLoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"
    error_codes = [e.INVALID_WECHAT_CODE, e.WECHAT_UNAVAILABLE]

    @extend_schema(
        summary="Log in with WeChat (public)",
        description="Exchanges a `wx.login` code for an `access` token (60 minutes) and a `refresh` token "
        "(14 days). The first login creates the user (`user.is_new: true`) with everything a new user "
        "gets; the same WeChat user always gets the same account. `referral` takes a referral code, a "
        "channel code or a scene (`r=<code>`, `c=<code>`); `channel` a channel code. An unknown code "
        "is ignored: the login still succeeds.",
        request=s.WeChatLoginInput,
        responses={200: s.WeChatLoginOutput},
        auth=[],
    )
    def post(self, request):
        data = s.WeChatLoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, is_new = user_login_wechat(**data.validated_data)
        referral_sharer_seen(user_id=user.pk, client=client_address(request))  # see docs/points.md
        body = {**token_pair(user), "user": {**user_profile(user=user), "is_new": is_new}}
        return Response(s.WeChatLoginOutput(body, context={"request": request}).data)


class RefreshApi(APIView):
    """A new access token and a new refresh token; the one sent is used up, even if sent twice at once."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"
    error_codes = [TOKEN_NOT_VALID, NO_ACTIVE_ACCOUNT]

    class RefreshInput(serializers.Serializer):
        refresh = StrictCharField(max_length=4096)

    @extend_schema(
        summary="Refresh the tokens (public)",
        description="A new `access` and a new `refresh` token for a refresh token, which is used up: "
        "sent again, even by two requests at once, it answers 401 `token_not_valid` (share one refresh "
        "call between concurrent requests). When the refresh is refused, log in again.",
        request=RefreshInput,
        responses={200: s.TokenPairOutput},
        auth=[],
    )
    def post(self, request):
        data = self.RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(s.TokenPairOutput(refresh_token_rotate(token=data.validated_data["refresh"])).data)


class StaffLoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"
    error_codes = [e.INVALID_CREDENTIALS]

    @extend_schema(
        summary="Staff log in (public)",
        description="Tokens for a staff account's username and password: operators, and store staff "
        "(门店核销员) for the desk's voucher scanner and visits. Members log in with WeChat instead.",
        request=s.StaffLoginInput,
        responses={200: s.TokenPairOutput},
        auth=[],
    )
    def post(self, request):
        data = s.StaffLoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None or not staff_may_log_in(user):
            raise ApplicationError("invalid_credentials", _("Wrong username or password."), 401)
        return Response(s.TokenPairOutput(token_pair(user)).data)


class MePingApi(APIView):
    """Authenticated and one primary-key SELECT: the baseline the benchmarks compare against."""

    @extend_schema(
        summary="Who am I (cheap)",
        description="The caller's `id` and `nickname` from one primary-key read: a cheap check that "
        "the access token still works.",
        responses={200: s.MePingOutput},
    )
    def get(self, request):
        return Response(s.MePingOutput(user_ping(user_id=request.user.pk)).data)


class MeLevelApi(APIView):
    @extend_schema(
        summary="My level and privileges",
        description="The caller's membership level (null below the lowest), growth value, the next level "
        "and the growth still needed for it (both null at the top), and the privileges of the current "
        "level as `{code, title}`: `mall_discount`, `extra_makeups`, `extra_lottery_draws`, "
        "`exclusive_products`, `birthday_gift` (docs/membership.md). Titles are in the request's language.",
        responses={200: s.MeLevelOutput},
    )
    def get(self, request):
        return Response(s.MeLevelOutput(user_level(user=request.user)).data)


class MeMemberCodeApi(APIView):
    @extend_schema(
        summary="My member code (会员码)",
        description="A short-lived code, with its QR, that store staff scan at the front desk to record a "
        "visit (`POST staff/visits`). It changes every minute and is refused after `expires_at`: show it "
        "on screen and fetch a new one before then. Never cached.",
        responses={200: s.MemberCodeOutput},
    )
    def get(self, request):
        response = Response(s.MemberCodeOutput(member_code_issue(request.user)).data)
        response["Cache-Control"] = "no-store"
        return response


class MeApi(APIView):
    error_codes = {"delete": [e.STAFF_ACCOUNT]}

    @extend_schema(
        summary="My profile",
        description="The caller's profile: nickname, avatar, whether a phone is verified (the number "
        "itself is never shown), points balance, growth, level, referral code, who invited them, and "
        "the profile facts they gave (`birthday` or null, `gender` and `city` or empty).",
        responses={200: s.MeOutput},
    )
    def get(self, request):
        return Response(s.MeOutput(user_profile(user=request.user), context={"request": request}).data)

    @extend_schema(
        summary="Edit my profile",
        description="Changes `nickname`, `avatar_url` (empty clears it) and the optional profile facts: "
        "`birthday` (YYYY-MM-DD from 1900-01-01 to today; null clears it), `gender` (`male`, `female`, "
        "empty clears it) and `city` (trimmed, at most 64 characters; empty clears it). The fields not "
        "sent stay as they are; a wrong value is 400 `invalid` with `fields` naming it. Answers the "
        "profile as GET does.",
        request=s.MeUpdateInput,
        responses={200: s.MeOutput},
    )
    def patch(self, request):
        data = s.MeUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = user_update_profile(user=request.user, **data.validated_data)
        return Response(s.MeOutput(user_profile(user=user), context={"request": request}).data)

    @extend_schema(
        summary="Delete my account",
        request=None,
        responses={204: None},
        description=(
            "Delete my account (docs/privacy.md): personal fields anonymised, every token revoked, open "
            "orders, group-buys and assist tasks settled as their expiry would, the points balance "
            "forfeited; the ledger and the referral rows are kept, pointing at the anonymised user. "
            "403 `staff_account` for a staff login. Afterwards the old tokens answer 401."
        ),
    )
    def delete(self, request):
        user_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportApi(APIView):
    """Everything the service holds about me, as one JSON document (docs/privacy.md)."""

    throttle_scope = "write"  # a heavy read: as rare as a write

    @extend_schema(
        summary="Export my data",
        description="Everything the service holds about the caller, as one JSON document (docs/privacy.md).",
        responses={200: s.MeExportOutput},
    )
    def get(self, request):
        return Response(s.MeExportOutput(user_export(user=request.user), context={"request": request}).data)


class MePhoneApi(APIView):
    throttle_scope = "write"
    error_codes = [e.INVALID_WECHAT_CODE, e.PHONE_IN_USE, e.WECHAT_UNAVAILABLE]

    @extend_schema(
        summary="Verify my phone",
        description="Verifies (or changes) the caller's phone number with the code of WeChat's "
        "`getPhoneNumber` button. A first verification may pay referral rewards and tasks. A number "
        "belongs to one account. Answers the profile as GET `me` does.",
        request=s.PhoneInput,
        responses={200: s.MeOutput},
    )
    def post(self, request):
        data = s.PhoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_verify_phone(user=request.user, **data.validated_data)
        return Response(s.MeOutput(user_profile(user=user), context={"request": request}).data)


class MeAvatarApi(APIView):
    parser_classes = [MultiPartParser]
    throttle_scope = "write"
    error_codes = [e.INVALID_IMAGE]

    @extend_schema(
        summary="Upload my avatar",
        description="A multipart upload of an image in `file` (JPEG, PNG, WebP or GIF), stored "
        "re-encoded as a PNG of at most 512x512. Answers the profile with the stored, absolute `avatar_url`.",
        request=s.AvatarInput,
        responses={200: s.MeOutput},
    )
    def post(self, request):
        data = s.AvatarInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_set_avatar(user=request.user, upload=data.validated_data["file"])
        return Response(
            s.MeOutput(user_profile(user=user), context={"request": request}).data, status=status.HTTP_200_OK
        )
