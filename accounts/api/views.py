from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api import serializers as s
from accounts.selectors import user_ping, user_profile
from accounts.services import user_login_wechat, user_set_avatar, user_update_profile, user_verify_phone
from core.api.fields import StrictCharField
from core.exceptions import ApplicationError
from core.tokens import refresh_token_rotate


def token_pair(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class WeChatLoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"
    extra_error_statuses = (502,)

    @extend_schema(request=s.WeChatLoginInput, responses={200: s.WeChatLoginOutput}, auth=[])
    def post(self, request):
        data = s.WeChatLoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, is_new = user_login_wechat(**data.validated_data)
        body = {**token_pair(user), "user": {**user_profile(user=user), "is_new": is_new}}
        return Response(s.WeChatLoginOutput(body, context={"request": request}).data)


class RefreshApi(APIView):
    """A new access token and a new refresh token; the one sent is used up, even if sent twice at once."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"
    extra_error_statuses = (401,)

    class RefreshInput(serializers.Serializer):
        refresh = StrictCharField(max_length=4096)

    @extend_schema(request=RefreshInput, responses={200: s.TokenPairOutput}, auth=[])
    def post(self, request):
        data = self.RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(s.TokenPairOutput(refresh_token_rotate(token=data.validated_data["refresh"])).data)


class StaffLoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"
    extra_error_statuses = (401,)

    @extend_schema(request=s.StaffLoginInput, responses={200: s.TokenPairOutput}, auth=[])
    def post(self, request):
        data = s.StaffLoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None or not user.is_staff:
            raise ApplicationError("invalid_credentials", _("Wrong username or password."), 401)
        return Response(s.TokenPairOutput(token_pair(user)).data)


class MePingApi(APIView):
    """Authenticated and one primary-key SELECT: the baseline the benchmarks compare against."""

    @extend_schema(responses={200: s.MePingOutput})
    def get(self, request):
        return Response(s.MePingOutput(user_ping(user_id=request.user.pk)).data)


class MeApi(APIView):
    @extend_schema(responses={200: s.MeOutput})
    def get(self, request):
        return Response(s.MeOutput(user_profile(user=request.user), context={"request": request}).data)

    @extend_schema(request=s.MeUpdateInput, responses={200: s.MeOutput})
    def patch(self, request):
        data = s.MeUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = user_update_profile(user=request.user, **data.validated_data)
        return Response(s.MeOutput(user_profile(user=user), context={"request": request}).data)


class MePhoneApi(APIView):
    throttle_scope = "write"
    extra_error_statuses = (502,)

    @extend_schema(request=s.PhoneInput, responses={200: s.MeOutput})
    def post(self, request):
        data = s.PhoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_verify_phone(user=request.user, **data.validated_data)
        return Response(s.MeOutput(user_profile(user=user), context={"request": request}).data)


class MeAvatarApi(APIView):
    parser_classes = [MultiPartParser]
    throttle_scope = "write"

    @extend_schema(request=s.AvatarInput, responses={200: s.MeOutput})
    def post(self, request):
        data = s.AvatarInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_set_avatar(user=request.user, upload=data.validated_data["file"])
        return Response(
            s.MeOutput(user_profile(user=user), context={"request": request}).data, status=status.HTTP_200_OK
        )
