from django.urls import path

from campaigns.groupbuy.api import views

urlpatterns = [
    path("groupbuys/offers", views.GroupBuyOfferListApi.as_view(), name="groupbuy-offers"),
    path("groupbuys/offers/<int:offer_id>/open", views.GroupBuyGroupOpenApi.as_view(), name="groupbuy-open"),
    path("groupbuys/groups/<int:group_id>/join", views.GroupBuyGroupJoinApi.as_view(), name="groupbuy-join"),
    path("groupbuys/groups/<int:group_id>", views.GroupBuyGroupDetailApi.as_view(), name="groupbuy-group"),
]
