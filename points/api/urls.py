from django.urls import path

from points.api import views

urlpatterns = [
    path("points/history", views.PointsHistoryApi.as_view(), name="points-history"),
    path("points/tasks", views.PointsTaskListApi.as_view(), name="points-tasks"),
    path("points/tasks/<slug:code>/complete", views.PointsTaskCompleteApi.as_view(), name="points-task-complete"),
    path("points/signin", views.SigninCreateApi.as_view(), name="points-signin"),
    path("points/signin/calendar", views.SigninCalendarApi.as_view(), name="points-signin-calendar"),
    path("points/signin/makeup", views.SigninMakeupApi.as_view(), name="points-signin-makeup"),
]
