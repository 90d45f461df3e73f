from django.urls import include, path

urlpatterns = [
    path("", include("campaigns.groupbuy.api.urls")),
    path("", include("campaigns.assist.api.urls")),
]
