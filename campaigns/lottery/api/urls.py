from django.urls import path

from campaigns.lottery.api import views

urlpatterns = [
    path("lotteries", views.LotteryListApi.as_view(), name="lotteries"),
    path("lotteries/<int:lottery_id>/draw", views.LotteryDrawApi.as_view(), name="lottery-draw"),
    path("lotteries/<int:lottery_id>/draws", views.LotteryDrawListApi.as_view(), name="lottery-draws"),
]
