from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import Pagination
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
    @extend_schema(responses={200: s.PointsTaskOutput(many=True)})
    def get(self, request):
        return Response(s.PointsTaskOutput(points_tasks_for(user=request.user), many=True).data)


class PointsTaskCompleteApi(APIView):
    throttle_scope = "write"

    @extend_schema(request=None, responses={200: s.PointsTaskCompleteOutput})
    def post(self, request, code: str):
        completion = task_complete_by_client(user=request.user, code=code)
        body = {"awarded": completion.points, "growth": completion.growth, "points": wallet_balance(user=request.user)}
        return Response(s.PointsTaskCompleteOutput(body).data)


class SigninCreateApi(APIView):
    throttle_scope = "write"

    @extend_schema(request=None, responses={200: s.SigninOutput})
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

    @extend_schema(request=s.SigninMakeupInput, responses={200: s.SigninMakeupOutput})
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
