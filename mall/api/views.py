from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api.fields import StrictCharField
from core.api.pagination import Pagination
from mall.api import errors as e
from mall.api import serializers as s
from mall.models import Coupon
from mall.selectors import coupons_for, order_for, orders_for, products_on_sale
from mall.services import coupon_verify, redemption_cancel, redemption_create
from points.api.errors import INSUFFICIENT_POINTS

PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, required=False),
    OpenApiParameter("page_size", OpenApiTypes.INT, required=False),
]
IDEMPOTENCY_KEY = StrictCharField(max_length=100)


def _page(view, request, rows, output_class):
    paginator = Pagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return Response(
        {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": output_class(page, many=True, context={"request": request}).data,
        }
    )


class ProductListApi(APIView):
    @extend_schema(
        summary="Products on sale",
        description="The mall's products on sale now, paginated: goods, in-store vouchers and coupons "
        "with their price in points, `stock` (null: unlimited), per-user limit and the level they "
        "need. `category` filters by category; `affordable=true` keeps what the caller can pay now. "
        "A product kept for members with certain tags is listed only to members carrying one of them.",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("category", OpenApiTypes.STR, required=False),
            OpenApiParameter("affordable", OpenApiTypes.BOOL, required=False, description="Only what I can pay now."),
        ],
        responses={200: s.ProductPageOutput},
    )
    def get(self, request):
        data = s.ProductListInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        rows = products_on_sale(user=request.user, **data.validated_data)
        return _page(self, request, rows, s.ProductOutput)


class RedemptionListApi(APIView):
    throttle_scope = "write"
    error_codes = {
        "post": [e.NOT_ON_SALE, e.OUT_OF_STOCK, e.LIMIT_REACHED, e.LEVEL_TOO_LOW, e.TAG_REQUIRED, INSUFFICIENT_POINTS]
    }

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            return throttles
        return [t for t in throttles if not isinstance(t, ScopedRateThrottle)]  # reading is not a write

    @extend_schema(
        operation_id="mall_redemptions_list",
        summary="My orders",
        description="The caller's orders, newest first and paginated, each with its vouchers.",
        parameters=PAGE_PARAMETERS,
        responses={200: s.OrderPageOutput},
    )
    def get(self, request):
        return _page(self, request, orders_for(user=request.user), s.OrderOutput)

    @extend_schema(
        summary="Redeem a product",
        description="Orders `quantity` of a product for points: the points, the stock and the order "
        "move in one transaction, and a voucher order comes back fulfilled with its codes (`coupon`, "
        "`coupons`). Physical goods need an `address` or a pickup `store`. Answers 201 with the new "
        "order; the same `Idempotency-Key` again answers 200 with the same order, so a retry after a "
        "timeout never orders twice. `invalid` also covers a store that does not exist and a "
        "quantity out of range.",
        request=s.RedemptionCreateInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="The same key from the same user returns the same order.",
            )
        ],
        responses={201: s.OrderOutput, 200: s.OrderOutput},
    )
    def post(self, request):
        data = s.RedemptionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if key:
            key = IDEMPOTENCY_KEY.run_validation(key)
        values = data.validated_data
        order = redemption_create(
            user=request.user,
            product_id=values["product"],
            quantity=values["quantity"],
            address=values["address"],
            store_id=values["store"],
            idempotency_key=key,
        )
        # Answered from the order as the service left it (its product and vouchers in hand).
        status = 200 if getattr(order, "replayed", False) else 201
        return Response(s.OrderOutput(order, context={"request": request}).data, status=status)


class RedemptionDetailApi(APIView):
    @extend_schema(
        summary="One of my orders",
        description="An order of the caller's (for the order page after a redirect); another user's "
        "order is 404 `not_found`.",
        responses={200: s.OrderOutput},
    )
    def get(self, request, order_id: int):
        order = order_for(user=request.user, order_id=order_id)
        if order is None:
            raise Http404
        return Response(s.OrderOutput(order, context={"request": request}).data)


class RedemptionCancelApi(APIView):
    throttle_scope = "write"
    error_codes = [e.INVALID_STATE, e.ORDER_VOUCHER_USED, e.ORDER_VOUCHER_EXPIRED]

    @extend_schema(
        summary="Cancel my order",
        description="Cancels an order not yet sent, or a voucher order none of whose vouchers was used: "
        "the points come back to the wallet and the stock to the product. Answers the order with "
        "`status: cancelled`; cancelling a cancelled order answers it again.",
        request=None,
        responses={200: s.OrderOutput},
    )
    def post(self, request, order_id: int):
        order = order_for(user=request.user, order_id=order_id)
        if order is None:
            raise Http404
        redemption_cancel(order=order, actor=request.user, by_customer=True)
        order = order_for(user=request.user, order_id=order_id)
        return Response(s.OrderOutput(order, context={"request": request}).data)


class CouponListApi(APIView):
    @extend_schema(
        summary="My vouchers",
        description="The caller's vouchers, paginated, with the `code` and `qr` that store staff scan; "
        "`status` filters them (empty or omitted: all).",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                required=False,
                enum=["", *Coupon.Status.values],
                description="Only vouchers in this state; empty or omitted: all.",
            ),
        ],
        responses={200: s.CouponPageOutput},
    )
    def get(self, request):
        data = s.CouponListInput(data=request.query_params)
        data.is_valid(raise_exception=True)  # an unknown status is a 400, not silently "all"
        status = data.validated_data.get("status", "")
        return _page(self, request, coupons_for(user=request.user, status=status), s.CouponOutput)


class CouponVerifyApi(APIView):
    """Store staff verify a voucher by its code or its scanned QR, at a store they are on (the one
    in `store`, else their first); a superuser at any store, named when they are on none."""

    throttle_scope = "write"
    error_codes = [
        e.VERIFY_PERMISSION_DENIED,
        e.NO_STORE,
        e.NOT_YOUR_STORE,
        e.STORE_REQUIRED,
        e.VOUCHER_NOT_FOUND,
        e.VOUCHER_USED,
        e.VOUCHER_EXPIRED,
        e.VOUCHER_CANCELLED,
    ]

    @extend_schema(
        summary="Verify a voucher (staff)",
        description="Store staff mark a customer's voucher used (核销) by its code or scanned QR, at a "
        "store they are on: the one in `store`, else their first. A superuser may verify at any store "
        "and must name one when on none. Once only: a second scan answers 409 `already_used`. "
        "`invalid` also covers a `store` that does not exist or is closed.",
        request=s.CouponVerifyInput,
        responses={200: s.CouponVerifyOutput},
    )
    def post(self, request):
        data = s.CouponVerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        coupon = coupon_verify(
            code=data.validated_data["code"], staff=request.user, store_id=data.validated_data["store"]
        )
        return Response(s.CouponVerifyOutput(coupon).data)
