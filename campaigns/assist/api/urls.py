from django.urls import path

from campaigns.assist.api import views

urlpatterns = [
    path("assists/campaigns", views.AssistCampaignListApi.as_view(), name="assist-campaigns"),
    path("assists/campaigns/<int:campaign_id>/start", views.AssistTaskStartApi.as_view(), name="assist-start"),
    path("assists/tasks", views.AssistTaskListApi.as_view(), name="assist-tasks"),
    path("assists/tasks/<int:task_id>", views.AssistTaskDetailApi.as_view(), name="assist-task"),
    path("assists/tasks/<int:task_id>/help", views.AssistTaskHelpApi.as_view(), name="assist-help"),
    path("assists/tasks/<int:task_id>/redeem", views.BargainRedeemApi.as_view(), name="assist-redeem"),
]
