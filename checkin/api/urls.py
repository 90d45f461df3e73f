from django.urls import path

from checkin.api import views

urlpatterns = [
    path("challenges", views.ChallengeListApi.as_view(), name="challenge-list"),
    path("challenges/subscribe", views.ChallengeSubscribeApi.as_view(), name="challenge-subscribe"),
    path("challenges/<int:challenge_id>", views.ChallengeDetailApi.as_view(), name="challenge-detail"),
    path("challenges/<int:challenge_id>/join", views.ChallengeJoinApi.as_view(), name="challenge-join"),
    path("challenges/<int:challenge_id>/checkin", views.ChallengeCheckinApi.as_view(), name="challenge-checkin"),
    path("challenges/<int:challenge_id>/makeup", views.ChallengeMakeupApi.as_view(), name="challenge-makeup"),
    path(
        "challenges/<int:challenge_id>/leaderboard",
        views.ChallengeLeaderboardApi.as_view(),
        name="challenge-leaderboard",
    ),
    path("challenges/<int:challenge_id>/rounds", views.ChallengeRoundsApi.as_view(), name="challenge-rounds"),
    path("me/entries", views.MyEntriesApi.as_view(), name="me-entries"),
    path("staff/visits", views.StaffVisitApi.as_view(), name="staff-visits"),
]
