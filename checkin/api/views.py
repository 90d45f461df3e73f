from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from checkin import selectors
from checkin.api import errors as e
from checkin.api import serializers as s
from checkin.models import Challenge, Entry, Round
from checkin.services import (
    challenge_join,
    checkin_create,
    checkin_makeup,
    leaderboard_read,
    subscribe_credit_add,
    visit_record,
)
from mall.api.errors import NO_STORE, NOT_YOUR_STORE, STORE_REQUIRED
from points.api.errors import INSUFFICIENT_POINTS


class ChallengeListApi(GenericAPIView):
    serializer_class = s.ChallengeOutput
    queryset = Challenge.objects.none()  # for the schema; the list comes from a selector

    @extend_schema(
        summary="Check-in challenges",
        description="The active challenges, paginated (plus a switched-off one while the caller is in a "
        "round of it not yet settled), each with its rules, the round open for enrolment "
        "(`current_round`: its `id` is null until somebody joins, and `pool` is the stakes plus the "
        "operator's bonus), the caller's entry (`my_entry`) and today's window (`today`).",
        responses={200: s.ChallengeOutput(many=True)},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.challenges_listed(user=request.user))
        overviews = [selectors.challenge_overview(challenge=c, user=request.user) for c in page]
        return self.get_paginated_response(s.ChallengeOutput(overviews, many=True, context={"request": request}).data)


class ChallengeDetailApi(APIView):
    @extend_schema(
        summary="One challenge",
        description="As in the list, plus `rules_text`. A switched-off challenge is 404 `not_found`, "
        "unless the caller is in a round of it not yet settled.",
        responses={200: s.ChallengeDetailOutput},
    )
    def get(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id, visible_to=request.user)
        overview = selectors.challenge_overview(challenge=challenge, user=request.user)
        return Response(s.ChallengeDetailOutput(overview, context={"request": request}).data)


class ChallengeJoinApi(APIView):
    throttle_scope = "write"
    error_codes = [e.INVALID_STAKE, INSUFFICIENT_POINTS, e.ENROLLMENT_CLOSED, e.ALREADY_JOINED, e.ROUND_FULL]

    @extend_schema(
        summary="Join a challenge",
        description="Stakes `stake` points on the round open for enrolment: they move from the wallet "
        "to the round's pool. One entry per user per round. Answers 201 with the entry. A daily "
        "challenge's round is checked in the next day; a multi-day one's from its start date.",
        request=s.ChallengeJoinInput,
        responses={201: s.ChallengeEntryOutput},
    )
    def post(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id)
        data = s.ChallengeJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = challenge_join(user=request.user, challenge=challenge, **data.validated_data)
        return Response(s.ChallengeEntryOutput(selectors.entry_summary(entry)).data, status=status.HTTP_201_CREATED)


class ChallengeCheckinApi(APIView):
    throttle_scope = "checkin"
    error_codes = [e.CHECKIN_WINDOW_CLOSED, e.NOT_ENROLLED, e.VISIT_REQUIRED]

    @extend_schema(
        summary="Check in today",
        description="Checks the caller in for today (the challenge's local day), inside the daily window, "
        "with an optional `note` and `image_url`. Answers 201 with a new check-in; a repeat the same "
        "day answers 200 with the same check-in (never a second one, never an error), so a double tap "
        "is harmless. A challenge with `checkin_by: visit` answers 409 `visit_required`: its check-in is "
        "a visit that staff record at the store.",
        request=s.ChallengeCheckinInput,
        responses={201: s.ChallengeCheckinOutput, 200: s.ChallengeCheckinOutput},
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
    error_codes = [
        e.MAKEUP_NOT_ALLOWED,
        e.INVALID_MAKEUP_DATE,
        e.NOT_ENROLLED,
        e.ALREADY_CHECKED_IN,
        e.NO_MAKEUP_LEFT,
        INSUFFICIENT_POINTS,
        e.ROUND_CLOSED,
    ]

    @extend_schema(
        summary="Makeup check-in",
        description="A makeup check-in (补签) for a missed past `date` of a running multi-day round, for "
        "the challenge's makeup cost and within its makeup limit. Not for today or later, the round's "
        "last day, or a day before the caller joined. Answers 201 with the check-in (`makeup: true`).",
        request=s.ChallengeMakeupInput,
        responses={201: s.ChallengeCheckinOutput},
    )
    def post(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id)
        data = s.ChallengeMakeupInput(data=request.data)
        data.is_valid(raise_exception=True)
        checkin = checkin_makeup(user=request.user, challenge=challenge, day=data.validated_data["date"])
        return Response(s.ChallengeCheckinOutput(checkin).data, status=status.HTTP_201_CREATED)


class ChallengeLeaderboardApi(APIView):
    @extend_schema(
        summary="Challenge leaderboard",
        description="The top `limit` of a board and the caller's own place (`me`, null rank when not on "
        "it): `winnings` (payouts received, stakes included), `streak` (consecutive days) or `early` "
        "(today's earliest check-ins, for `date`). Ties go to whoever got there first.",
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

    @extend_schema(
        summary="Past rounds of a challenge",
        description="The challenge's settled and cancelled rounds, newest first and paginated: pool, "
        "winners, what was paid or rolled over, and the caller's stake, status and payout.",
        responses={200: s.ChallengeRoundReportOutput(many=True)},
    )
    def get(self, request, challenge_id: int):
        challenge = selectors.challenge_get(challenge_id=challenge_id)
        page = self.paginate_queryset(selectors.rounds_past(challenge=challenge, user=request.user))
        return self.get_paginated_response(
            s.ChallengeRoundReportOutput([selectors.round_report(r) for r in page], many=True).data
        )


class MyEntriesApi(GenericAPIView):
    serializer_class = s.MyChallengeEntryOutput
    queryset = Entry.objects.none()

    @extend_schema(
        summary="My challenge entries",
        description="The caller's entries in every challenge, newest first and paginated: `status` "
        "`active` until settlement, then `won`, `lost` or `refunded`; `payout` is null until paid.",
        responses={200: s.MyChallengeEntryOutput(many=True)},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.entries_of_user(user=request.user))
        return self.get_paginated_response(s.MyChallengeEntryOutput(page, many=True).data)


class ChallengeSubscribeApi(APIView):
    throttle_scope = "write"
    error_codes = [e.UNKNOWN_TEMPLATE]

    @extend_schema(
        summary="Accept a reminder message",
        description="Call it once for each template the user accepted in `wx.requestSubscribeMessage`: "
        "one more check-in reminder may then be sent. Answers the template's `credits` (at most 50).",
        request=s.ChallengeSubscribeInput,
        responses={200: s.ChallengeSubscribeOutput},
    )
    def post(self, request):
        data = s.ChallengeSubscribeInput(data=request.data)
        data.is_valid(raise_exception=True)
        credit = subscribe_credit_add(user=request.user, **data.validated_data)
        return Response(s.ChallengeSubscribeOutput(credit).data)


class StaffVisitApi(APIView):
    """Store staff record a member's visit (到店打卡) by the member code they scanned."""

    throttle_scope = "write"
    error_codes = [e.VISIT_PERMISSION_DENIED, NO_STORE, NOT_YOUR_STORE, STORE_REQUIRED, e.MEMBER_CODE_INVALID]

    @extend_schema(
        summary="Record a visit (staff)",
        description="Store staff scan (or type) the member code the member shows (`GET me/member-code`), at a "
        "store they are on: the one in `store`, else their first. The visit is recorded once a day per member "
        "and counts as today's check-in of each attendance challenge (`checkin_by: visit`) the member is in; "
        "`checkins` says, per challenge, whether it counted and the member's count in the round. A second scan "
        "the same day answers 200 with `repeat: true` and checks in only a challenge joined since. "
        "`invalid` also covers a `store` that does not exist or is closed.",
        request=s.VisitInput,
        responses={200: s.VisitRecordedOutput},
    )
    def post(self, request):
        data = s.VisitInput(data=request.data)
        data.is_valid(raise_exception=True)
        recorded = visit_record(
            code=data.validated_data["code"], staff=request.user, store_id=data.validated_data["store"]
        )
        return Response(s.VisitRecordedOutput(recorded).data)
