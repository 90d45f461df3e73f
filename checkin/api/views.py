from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from checkin import selectors
from checkin.api import serializers as s
from checkin.models import Challenge, Entry, Round
from checkin.services import (
    challenge_join,
    checkin_create,
    checkin_makeup,
    leaderboard_read,
    subscribe_credit_add,
)


class ChallengeListApi(GenericAPIView):
    serializer_class = s.ChallengeOutput
    queryset = Challenge.objects.none()  # for the schema; the list comes from a selector

    @extend_schema(responses={200: s.ChallengeOutput(many=True)})
    def get(self, request):
        page = self.paginate_queryset(selectors.challenges_listed(user=request.user))
        overviews = [selectors.challenge_overview(challenge=c, user=request.user) for c in page]
        return self.get_paginated_response(s.ChallengeOutput(overviews, many=True, context={"request": request}).data)


class ChallengeDetailApi(APIView):
    @extend_schema(responses={200: s.ChallengeDetailOutput})
    def get(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id, visible_to=request.user)
        overview = selectors.challenge_overview(challenge=challenge, user=request.user)
        return Response(s.ChallengeDetailOutput(overview, context={"request": request}).data)


class ChallengeJoinApi(APIView):
    throttle_scope = "write"

    @extend_schema(request=s.ChallengeJoinInput, responses={201: s.ChallengeEntryOutput})
    def post(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id)
        data = s.ChallengeJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = challenge_join(user=request.user, challenge=challenge, **data.validated_data)
        return Response(s.ChallengeEntryOutput(selectors.entry_summary(entry)).data, status=status.HTTP_201_CREATED)


class ChallengeCheckinApi(APIView):
    throttle_scope = "checkin"

    @extend_schema(
        request=s.ChallengeCheckinInput,
        responses={201: s.ChallengeCheckinOutput, 200: s.ChallengeCheckinOutput},
        description="201 with a new check-in; 200 with the same check-in when it was already made today.",
    )
    def post(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id)
        data = s.ChallengeCheckinInput(data=request.data)
        data.is_valid(raise_exception=True)
        checkin, created = checkin_create(user=request.user, challenge=challenge, **data.validated_data)
        return Response(
            s.ChallengeCheckinOutput(checkin).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ChallengeMakeupApi(APIView):
    throttle_scope = "checkin"

    @extend_schema(request=s.ChallengeMakeupInput, responses={201: s.ChallengeCheckinOutput})
    def post(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id)
        data = s.ChallengeMakeupInput(data=request.data)
        data.is_valid(raise_exception=True)
        checkin = checkin_makeup(user=request.user, challenge=challenge, day=data.validated_data["date"])
        return Response(s.ChallengeCheckinOutput(checkin).data, status=status.HTTP_201_CREATED)


class ChallengeLeaderboardApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("board", str, enum=["winnings", "streak", "early"], default="winnings"),
            OpenApiParameter("limit", int, default=20, description="1 to 100"),
        ],
        responses={200: s.ChallengeLeaderboardOutput},
    )
    def get(self, request, challenge_id: int):
        challenge = selectors.challenge_for_board(challenge_id=challenge_id)
        query = s.ChallengeLeaderboardQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        board = leaderboard_read(challenge=challenge, user=request.user, **query.validated_data)
        return Response(
            s.ChallengeLeaderboardOutput(selectors.leaderboard_body(board), context={"request": request}).data
        )


class ChallengeRoundsApi(GenericAPIView):
    serializer_class = s.ChallengeRoundReportOutput
    queryset = Round.objects.none()

    @extend_schema(responses={200: s.ChallengeRoundReportOutput(many=True)})
    def get(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id)
        page = self.paginate_queryset(selectors.rounds_past(challenge=challenge, user=request.user))
        return self.get_paginated_response(
            s.ChallengeRoundReportOutput([selectors.round_report(r) for r in page], many=True).data
        )


class MyEntriesApi(GenericAPIView):
    serializer_class = s.MyChallengeEntryOutput
    queryset = Entry.objects.none()

    @extend_schema(responses={200: s.MyChallengeEntryOutput(many=True)})
    def get(self, request):
        page = self.paginate_queryset(selectors.entries_of_user(user=request.user))
        return self.get_paginated_response(s.MyChallengeEntryOutput(page, many=True).data)


class ChallengeSubscribeApi(APIView):
    throttle_scope = "write"

    @extend_schema(request=s.ChallengeSubscribeInput, responses={200: s.ChallengeSubscribeOutput})
    def post(self, request):
        data = s.ChallengeSubscribeInput(data=request.data)
        data.is_valid(raise_exception=True)
        credit = subscribe_credit_add(user=request.user, **data.validated_data)
        return Response(s.ChallengeSubscribeOutput(credit).data)
