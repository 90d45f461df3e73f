from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import QueryInput, StrictCharField
from mall.models import Coupon, Order, Product
from mall.services import MAX_QUANTITY, coupon_qr_data_url


class ProductOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    kind = serializers.ChoiceField(choices=Product.Kind.choices)
    price = serializers.IntegerField(help_text=_("Price in points."))
    stock = serializers.IntegerField(allow_null=True, help_text=_("Null means unlimited."))
    per_user_limit = serializers.IntegerField(help_text=_("0 means no limit."))
    level_required = serializers.CharField(source="level_required.name", allow_null=True, default=None)
    image_url = serializers.SerializerMethodField()
    ends_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_image_url(self, product: Product) -> str:
        value = product.image.url if product.image else product.image_url
        request = self.context.get("request")
        if value and request is not None and value.startswith("/"):
            return request.build_absolute_uri(value)
        return value


class ProductPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProductOutput(many=True)


class ProductListInput(QueryInput):
    category = StrictCharField(required=False, allow_blank=True, max_length=50)
    affordable = serializers.BooleanField(required=False, default=False)


class CouponListInput(QueryInput):
    status = serializers.ChoiceField(choices=Coupon.Status.values, required=False, allow_blank=True)


class CouponOutput(serializers.Serializer):
    code = serializers.CharField()
    product = serializers.CharField(source="product.name")
    product_id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    status = serializers.CharField(help_text=_("unused, used, expired or cancelled"))
    expires_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True)
    qr = serializers.SerializerMethodField(help_text=_("A PNG QR of the code, as a data URL."))

    @extend_schema_field(OpenApiTypes.STR)
    def get_qr(self, coupon: Coupon) -> str:
        return coupon_qr_data_url(code=coupon.code)


class CouponPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CouponOutput(many=True)


class OrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.CharField(source="product.name")
    quantity = serializers.IntegerField()
    status = serializers.CharField(help_text=_("created, fulfilled, completed or cancelled"))
    points = serializers.IntegerField(help_text=_("Points paid."))
    list_points = serializers.IntegerField(help_text=_("The price before the member's level discount."))
    discount_points = serializers.IntegerField(help_text=_("Points off by the member's level discount."))
    address = serializers.CharField()
    store = serializers.IntegerField(source="store_id", allow_null=True)
    created_at = serializers.DateTimeField()
    coupon = serializers.SerializerMethodField(help_text=_("The first voucher of the order, if any."))
    coupons = CouponOutput(many=True, source="coupons.all")

    @extend_schema_field(CouponOutput(allow_null=True))
    def get_coupon(self, order: Order):
        return None  # the first of `coupons`, set by to_representation

    def to_representation(self, order: Order):
        # `coupon` is `coupons[0]`: written once, so its QR image is drawn once, not twice.
        data = super().to_representation(order)
        data["coupon"] = data["coupons"][0] if data["coupons"] else None
        return data


class OrderPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = OrderOutput(many=True)


class RedemptionCreateInput(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    address = StrictCharField(required=False, allow_blank=True, max_length=300, default="")
    store = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)

    def to_internal_value(self, data):
        for name in ("product", "quantity", "store"):  # 5 is fine, "5" or 5.5 is a type error
            value = data.get(name) if hasattr(data, "get") else None
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise serializers.ValidationError({name: [_("Must be an integer.")]})
        return super().to_internal_value(data)


class CouponVerifyInput(serializers.Serializer):
    code = StrictCharField(max_length=40)
    store = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)


class CouponVerifyOutput(serializers.Serializer):
    code = serializers.CharField()
    product = serializers.CharField(source="product.name")
    status = serializers.CharField(help_text=_("unused, used, expired or cancelled"))
    used_at = serializers.DateTimeField(allow_null=True)
    store = serializers.CharField(source="store.name", allow_null=True, default=None)
    user = serializers.CharField(source="user.nickname")
