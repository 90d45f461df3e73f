from django.urls import include, path

urlpatterns = [
    path("", include("campaigns.groupbuy.api.urls")),
    path("", include("campaigns.assist.api.urls")),
    path("", include("campaigns.lottery.api.urls")),
    path("", include("campaigns.quiz.api.urls")),
    path("", include("campaigns.redpacket.api.urls")),
]
