from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.assist.api import errors as e
from campaigns.assist.api import serializers as s
from campaigns.assist.models import AssistCampaign, AssistTask
from campaigns.assist.selectors import (
    assist_campaigns_open,
    assist_has_helped,
    assist_helper_nicknames,
    assist_task_get,
    assist_tasks_of,
)
from campaigns.assist.services import assist_bargain_redeem, assist_task_help, assist_task_start
from core.api.pagination import Pagination
from mall.api.errors import LEVEL_TOO_LOW, LIMIT_REACHED, OUT_OF_STOCK, TAG_REQUIRED
from mall.api.serializers import OrderOutput
from mall.api.views import PAGE_PARAMETERS
from mall.selectors import order_for
from points.api.errors import INSUFFICIENT_POINTS


def _product_data(product) -> dict | None:
    if product is None:
        return None
    return {
        "id": product.pk,
        "name": product.name,
        "kind": product.kind,
        "image_url": product.image_url,
        "price": product.price,
    }


def _reward_data(campaign: AssistCampaign) -> dict:
    pays_points = campaign.kind == AssistCampaign.Kind.ASSIST and campaign.reward_kind == "points"
    return {
        "kind": "points" if pays_points else "product",
        "points": campaign.reward_points if pays_points else 0,
        "product": None if pays_points else _product_data(campaign.product),
    }


def _campaign_data(campaign: AssistCampaign) -> dict:
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "kind": campaign.kind,
        "reward": _reward_data(campaign),
        "required": campaign.helpers_required,
        "expires_in_hours": campaign.time_limit_hours,
        "floor_price": campaign.floor_price if campaign.kind == AssistCampaign.Kind.BARGAIN else 0,
    }


def _task_data(task: AssistTask, user) -> dict:
    mine = task.user_id == user.pk
    return {
        "id": task.pk,
        "campaign": task.campaign_id,
        "title": task.campaign.title,
        "kind": task.campaign.kind,
        "status": task.status,
        "helpers": assist_helper_nicknames(task=task),
        "progress": task.progress,
        "required": task.required,
        "expires_at": task.expires_at,
        "reward": _reward_data(task.campaign),
        "start_price": task.start_price,
        "current_price": task.current_price,
        "floor_price": task.floor_price,
        "mine": mine,
        "helped": assist_has_helped(task=task, user=user),
        "order": task.order_id if mine else None,
        "scene": task.scene,
    }


def _task_response(task_id: int, user, code=status.HTTP_200_OK) -> Response:
    return Response(s.AssistTaskOutput(_task_data(assist_task_get(task_id=task_id), user)).data, status=code)


class AssistCampaignListApi(APIView):
    @extend_schema(
        summary="Assist and bargain campaigns",
        description="The campaigns open now: assists (助力: friends help, the starter gets `reward`, "
        "points or a product) and bargains (砍价: each friend's help cuts the price, down to "
        "`floor_price`), with the helpers `required` and the hours a task has.",
        responses={200: s.AssistCampaignOutput(many=True)},
    )
    def get(self, request):
        return Response(s.AssistCampaignOutput([_campaign_data(c) for c in assist_campaigns_open()], many=True).data)


class AssistTaskStartApi(APIView):
    throttle_scope = "write"
    error_codes = [e.CAMPAIGN_CLOSED, e.TASKS_LIMIT_REACHED, LIMIT_REACHED, OUT_OF_STOCK, LEVEL_TOO_LOW, TAG_REQUIRED]

    @extend_schema(
        summary="Start a task",
        description="Starts the caller's task of a campaign, to share with its `scene` (`a=<id>`). A "
        "product reward is reserved now (a unit of stock, released if the task expires). Answers 201 "
        "with the new task, or 200 with the caller's task of the campaign still open, so a double tap "
        "never starts two. An unknown or switched-off campaign is 404 `not_found`.",
        request=None,
        responses={201: s.AssistTaskOutput, 200: s.AssistTaskOutput},
    )
    def post(self, request, campaign_id: int):
        task, created = assist_task_start(user=request.user, campaign_id=campaign_id)
        return _task_response(task.pk, request.user, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AssistTaskListApi(APIView):
    @extend_schema(
        operation_id="assists_tasks_mine",
        summary="My tasks",
        description="The caller's assist and bargain tasks, newest first and paginated.",
        parameters=PAGE_PARAMETERS,
        responses={200: s.AssistTaskPageOutput},
    )
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(assist_tasks_of(user=request.user), request, view=self)
        rows = [s.AssistTaskOutput(_task_data(task, request.user)).data for task in page]
        return paginator.get_paginated_response(rows)


class AssistTaskDetailApi(APIView):
    @extend_schema(
        summary="One task",
        description="A task, for its share page (anyone logged in may read it): progress, helpers' "
        "nicknames, prices of a bargain, whether it is the caller's (`mine`) and whether the caller "
        "`helped`. `order` is shown to the starter only.",
        responses={200: s.AssistTaskOutput},
    )
    def get(self, request, task_id: int):
        return _task_response(task_id, request.user)


class AssistTaskHelpApi(APIView):
    throttle_scope = "write"
    error_codes = [e.CANNOT_HELP_SELF, e.ALREADY_HELPED, e.TASK_CLOSED, e.HELP_LIMIT_REACHED]

    @extend_schema(
        summary="Help a friend's task",
        description="The caller helps a friend's task, once: progress grows (a new user may count two "
        "when the campaign says so) and a bargain's price drops. The help that completes an assist "
        "grants its reward to the starter. Answers 200 with the task.",
        request=None,
        responses={200: s.AssistTaskOutput},
    )
    def post(self, request, task_id: int):
        assist_task_help(helper=request.user, task_id=task_id)
        return _task_response(task_id, request.user)


class BargainRedeemApi(APIView):
    throttle_scope = "write"
    error_codes = [e.TASK_CLOSED, OUT_OF_STOCK, LIMIT_REACHED, LEVEL_TOO_LOW, TAG_REQUIRED, INSUFFICIENT_POINTS]

    @extend_schema(
        summary="Buy a bargain",
        description="The starter buys the bargain's product at its current price, as a mall order "
        "(physical goods need an `address` or a pickup `store`). Answers 201 with the order; again, "
        "200 with the same order. Another user's task, or an assist's, is 404 `not_found`.",
        request=s.BargainRedeemInput,
        responses={201: OrderOutput, 200: OrderOutput},
    )
    def post(self, request, task_id: int):
        data = s.BargainRedeemInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = assist_bargain_redeem(
            user=request.user,
            task_id=task_id,
            address=data.validated_data["address"],
            store_id=data.validated_data["store"],
        )
        replayed = getattr(order, "replayed", False)
        order = order_for(user=request.user, order_id=order.pk)
        return Response(OrderOutput(order, context={"request": request}).data, status=200 if replayed else 201)
