from django.urls import path

from mall.api import views

urlpatterns = [
    path("mall/products", views.ProductListApi.as_view(), name="mall-products"),
    path("mall/redemptions", views.RedemptionListApi.as_view(), name="mall-redemptions"),
    path("mall/redemptions/<int:order_id>", views.RedemptionDetailApi.as_view(), name="mall-redemption"),
    path("mall/redemptions/<int:order_id>/cancel", views.RedemptionCancelApi.as_view(), name="mall-redemption-cancel"),
    path("mall/coupons", views.CouponListApi.as_view(), name="mall-coupons"),
    path("staff/coupons/verify", views.CouponVerifyApi.as_view(), name="staff-coupon-verify"),
]
