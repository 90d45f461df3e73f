from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import Pagination
from points.api import errors as e
from points.api import serializers as s
from points.selectors import (
    points_expiring_soon,
    points_history,
    points_tasks_for,
    signin_calendar,
    signin_streak,
    wallet_balance,
)
from points.services.signin import signin_create, signin_makeup
from points.services.tasks import task_complete_by_client


class PointsHistoryApi(APIView):
    @extend_schema(
        summary="My points history",
        description="The caller's ledger entries, newest first and paginated: each credit (positive "
        "`amount`) or debit (negative) with its `kind`, `memo` and the `balance_after` it. Beside the "
        "page, `expiring_soon` lists the points that will expire soon (when expiry is on), so the page "
        "can warn about them.",
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, required=False),
            OpenApiParameter("page_size", OpenApiTypes.INT, required=False),
        ],
        responses={200: s.PointsHistoryOutput},
    )
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(points_history(user=request.user), request, view=self)
        body = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": page,
            "expiring_soon": points_expiring_soon(user=request.user),
        }
        return Response(s.PointsHistoryOutput(body).data)


class PointsTaskListApi(APIView):
    @extend_schema(
        summary="Points tasks",
        description="Every active task (积分任务) with its reward and the caller's state: `done` means no "
        "further completion is possible this period (once: ever; daily: today; weekly: this ISO week; "
        "unlimited: the daily cap is reached); `available` means the app may complete it now. Tasks "
        "the server completes itself (welcome, phone verified...) are listed with `available: false`.",
        responses={200: s.PointsTaskOutput(many=True)},
    )
    def get(self, request):
        return Response(s.PointsTaskOutput(points_tasks_for(user=request.user), many=True).data)


class PointsTaskCompleteApi(APIView):
    throttle_scope = "write"
    error_codes = [e.TASK_NOT_FOUND, e.TASK_SERVER_ONLY, e.TASK_ALREADY_DONE, e.TASK_DAILY_CAP_REACHED]

    @extend_schema(
        summary="Complete a task",
        description="Completes the task `code` for the caller (a share, reading an article...): pays its "
        "points and growth once per period and answers what was `awarded` and the new balance.",
        request=None,
        responses={200: s.PointsTaskCompleteOutput},
    )
    def post(self, request, code: str):
        completion = task_complete_by_client(user=request.user, code=code)
        body = {"awarded": completion.points, "growth": completion.growth, "points": wallet_balance(user=request.user)}
        return Response(s.PointsTaskCompleteOutput(body).data)


class SigninCreateApi(APIView):
    throttle_scope = "write"
    error_codes = [e.ALREADY_SIGNED_IN]

    @extend_schema(
        summary="Daily sign-in",
        description="Signs the caller in for today (签到; the site's local day, given back as `date`): "
        "pays the reward of the streak day from the operator's table. Once a day: a second call the "
        "same day answers 409 `already_signed_in`.",
        request=None,
        responses={200: s.SigninOutput},
    )
    def post(self, request):
        signin = signin_create(user=request.user)
        body = {
            "date": signin.local_date,
            "streak": signin.streak,
            "awarded": signin.points,
            "points": wallet_balance(user=request.user),
        }
        return Response(s.SigninOutput(body).data)


class SigninCalendarApi(APIView):
    @extend_schema(
        summary="Sign-in calendar",
        description="The days of `month` the caller signed (makeups included) and the current streak "
        "(today's, else yesterday's, else 0).",
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM")],
        responses={200: s.SigninCalendarOutput},
    )
    def get(self, request):
        data = s.SigninCalendarInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        year, month = data.validated_data["month"]
        return Response(s.SigninCalendarOutput(signin_calendar(user=request.user, year=year, month=month)).data)


class SigninMakeupApi(APIView):
    throttle_scope = "write"
    error_codes = [
        e.MAKEUP_DISABLED,
        e.SIGNIN_INVALID_MAKEUP_DATE,
        e.ALREADY_SIGNED_IN,
        e.SIGNIN_NO_MAKEUP_LEFT,
        e.INSUFFICIENT_POINTS,
    ]

    @extend_schema(
        summary="Makeup sign-in",
        description="Signs a missed day of this month (补签) for the operator's makeup cost, paying no "
        "reward; the streak is counted again across the filled gap. Answers the day, the current "
        "streak, the `cost` paid and the new balance.",
        request=s.SigninMakeupInput,
        responses={200: s.SigninMakeupOutput},
    )
    def post(self, request):
        data = s.SigninMakeupInput(data=request.data)
        data.is_valid(raise_exception=True)
        signin = signin_makeup(user=request.user, **data.validated_data)
        cost = -signin.transaction.entries.get(account__user=request.user).amount if signin.transaction_id else 0
        body = {
            "date": signin.local_date,
            "streak": signin_streak(user=request.user),
            "cost": cost,
            "points": wallet_balance(user=request.user),
        }
        return Response(s.SigninMakeupOutput(body).data)
