from django.urls import path

from referral.api import views

urlpatterns = [
    path("referral/me", views.ReferralMeApi.as_view(), name="referral-me"),
    path("referral/poster", views.ReferralPosterApi.as_view(), name="referral-poster"),
    path("referral/invitees", views.ReferralInviteesApi.as_view(), name="referral-invitees"),
    path("referral/commissions", views.ReferralCommissionsApi.as_view(), name="referral-commissions"),
    path("referral/leaderboard", views.ReferralLeaderboardApi.as_view(), name="referral-leaderboard"),
]
