from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http import client_address
from referral.api import errors as e
from referral.api import serializers as s
from referral.models import Commission, Referral
from referral.selectors import (
    poster_template_get,
    referral_commissions,
    referral_invitees,
    referral_leaderboard,
    referral_summary,
)
from referral.services import referral_poster, referral_profile_ensure, referral_sharer_seen


class FirstRendererNegotiation(BaseContentNegotiation):
    """The poster is a PNG whatever the client accepts; errors stay JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReferralMeApi(APIView):
    @extend_schema(
        summary="My referral code",
        description="The caller's referral code, the `scene` a mini-program code carries (`r=<code>`), "
        "the `share_url` a plain QR code opens, and the counts: friends `invited` (bound), `qualified` "
        "(did what the rewards need, by default verify a phone) and the `rewarded_points` earned, net "
        "of clawbacks.",
        responses={200: s.ReferralMeOutput},
    )
    def get(self, request):
        profile = referral_profile_ensure(user=request.user)
        referral_sharer_seen(user_id=request.user.pk, client=client_address(request))  # see docs/points.md
        return Response(s.ReferralMeOutput(referral_summary(profile=profile)).data)


class ReferralPosterApi(APIView):
    content_negotiation_class = FirstRendererNegotiation
    throttle_scope = "write"  # composing is CPU work; a cached poster is cheap
    error_codes = [e.POSTER_TEMPLATE_NOT_FOUND]

    @extend_schema(
        summary="My referral poster",
        description="A PNG poster from the operator's template (`template`, else the default one) with "
        "the caller's avatar, nickname and a QR code that decodes to their `share_url`. Errors are "
        "JSON as everywhere.",
        parameters=[OpenApiParameter("template", int, required=False, description="A poster template id.")],
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The poster (PNG)."),
        },
    )
    def get(self, request):
        data = s.ReferralPosterInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        template = poster_template_get(template_id=data.validated_data.get("template"))
        png = referral_poster(user=request.user, template=template)
        referral_sharer_seen(user_id=request.user.pk, client=client_address(request))
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=300"
        return response


@extend_schema(
    summary="My invited friends",
    description="The friends bound to the caller, newest first and paginated: nickname and avatar, "
    "`status` (`registered`, `qualified`, `held` for review, `rejected`, `revoked`) and when they joined.",
)
class ReferralInviteesApi(ListAPIView):
    serializer_class = s.ReferralInviteeOutput
    queryset = Referral.objects.none()  # for the schema; the real list is the selector's

    def get_queryset(self):
        return referral_invitees(user=self.request.user)


@extend_schema(
    summary="My commissions",
    description="Distribution commission (分销): what the caller earned from each invited friend's "
    "mall redemption, newest first and paginated: the friend's `nickname`, the `order`, the `amount` "
    "in points and its `status`: `held` until the order completes (its voucher verified, or the goods "
    "received), then `paid` into the wallet; `void` when the order was cancelled or the monthly cap "
    "left nothing.",
)
class ReferralCommissionsApi(ListAPIView):
    serializer_class = s.ReferralCommissionOutput
    queryset = Commission.objects.none()  # for the schema; the real list is the selector's

    def get_queryset(self):
        return referral_commissions(user=self.request.user)


class ReferralLeaderboardApi(APIView):
    @extend_schema(
        summary="Referral leaderboard",
        description="The top `limit` inviters by qualified invites, and the caller's own place (`me`, a "
        "null rank without a qualified invite). Ties go to whoever reached the score first.",
        parameters=[s.ReferralLeaderboardInput],
        responses={200: s.ReferralLeaderboardOutput},
    )
    def get(self, request):
        data = s.ReferralLeaderboardInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        board = referral_leaderboard(user=request.user, limit=data.validated_data["limit"])
        return Response(s.ReferralLeaderboardOutput(board, context={"request": request}).data)
