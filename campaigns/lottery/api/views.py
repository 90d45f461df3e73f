from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.lottery.api import errors as e
from campaigns.lottery.api import serializers as s
from campaigns.lottery.models import Lottery, LotteryDraw
from campaigns.lottery.selectors import (
    lotteries_open,
    lottery_allowance,
    lottery_draws_of,
    lottery_odds,
    odds_published,
)
from campaigns.lottery.services import lottery_draw, lottery_not_found
from core.api.pagination import Pagination
from mall.api.views import IDEMPOTENCY_KEY, PAGE_PARAMETERS
from points.api.errors import INSUFFICIENT_POINTS
from points.selectors import wallet_balance


def _lottery_data(lottery: Lottery, user) -> dict:
    allowance = lottery_allowance(lottery=lottery, user=user)
    prizes = list(lottery.prizes.all())  # prefetched with their products
    return {
        "id": lottery.pk,
        "title": lottery.title,
        "kind": lottery.kind,
        "cost": lottery.cost,
        "draws_left_today": allowance.left,
        "free_draws_left_today": allowance.free_left,
        "prizes": odds_published(lottery_odds(prizes=prizes)),
    }


def _draw_data(draw: LotteryDraw) -> dict:
    coupon = None
    if draw.order_id is not None:
        coupon = min(draw.order.coupons.all(), key=lambda c: c.pk, default=None)  # prefetched for lists
    return {
        "id": draw.pk,
        "lottery": draw.lottery_id,
        "prize": None
        if draw.prize_id is None
        else {"id": draw.prize_id, "name": draw.prize_name, "kind": draw.prize_kind},
        "points_won": draw.points_won,
        "cost": draw.cost,
        "coupon": coupon,
        "created_at": draw.created_at,
    }


class LotteryListApi(APIView):
    @extend_schema(
        summary="Lotteries",
        description="The lotteries open now (大转盘 `wheel`, 九宫格 `grid`), each with what a draw "
        "`cost`s after the free ones, the caller's `draws_left_today` (free first, then paid; the daily "
        "limit counts both) and the prizes with the probability of each now (概率公示): a prize out of "
        "stock gives its chance to 谢谢参与, shown as the `none` prize or, when the lottery has none, "
        "an extra entry with `id` null. A lottery kept for members with certain tags is listed only to "
        "members carrying one of them (others drawing in it get 403 `tag_required`).",
        responses={200: s.LotteryOutput(many=True)},
    )
    def get(self, request):
        rows = [_lottery_data(lottery, request.user) for lottery in lotteries_open(user=request.user)]
        return Response(s.LotteryOutput(rows, many=True).data)


class LotteryDrawApi(APIView):
    throttle_scope = "write"
    error_codes = [e.LOTTERY_CLOSED, e.NO_DRAWS_LEFT, e.LOTTERY_TAG_REQUIRED, INSUFFICIENT_POINTS]

    @extend_schema(
        summary="Draw",
        description="Draws once: a free draw while the caller has one today (the daily ones and those "
        "earned by signing in, completing tasks and friends who qualified), then for `cost` points. "
        "The cost, the prize's stock and the prize (points, or a product's order and voucher in "
        "`coupon`) move in one transaction. Answers 201 with the draw and the caller's `points` "
        "balance; the same `Idempotency-Key` again answers 200 with the same draw and draws nothing. "
        "An unknown or switched-off lottery is 404 `not_found`.",
        request=None,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="The same key from the same user returns the same draw.",
            )
        ],
        responses={201: s.LotteryDrawResultOutput, 200: s.LotteryDrawResultOutput},
    )
    def post(self, request, lottery_id: int):
        key = request.headers.get("Idempotency-Key", "").strip()
        if key:
            key = IDEMPOTENCY_KEY.run_validation(key)
        draw, created = lottery_draw(user=request.user, lottery_id=lottery_id, idempotency_key=key)
        # A new draw knows the balance it left (read under the ledger's lock); a replay reads it.
        points = draw.wallet_balance if created else wallet_balance(user=request.user)
        data = {**_draw_data(draw), "points": points}
        return Response(s.LotteryDrawResultOutput(data).data, status=201 if created else 200)


class LotteryDrawListApi(APIView):
    @extend_schema(
        operation_id="lotteries_draws_mine",
        summary="My draws",
        description="The caller's draws in a lottery (even one closed since), newest first and paginated.",
        parameters=PAGE_PARAMETERS,
        responses={200: s.LotteryDrawPageOutput},
    )
    def get(self, request, lottery_id: int):
        if not Lottery.objects.filter(pk=lottery_id).exists():
            raise lottery_not_found()
        paginator = Pagination()
        page = paginator.paginate_queryset(
            lottery_draws_of(user=request.user, lottery_id=lottery_id), request, view=self
        )
        return paginator.get_paginated_response([s.LotteryDrawOutput(_draw_data(d)).data for d in page])
