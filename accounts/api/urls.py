from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/wechat/login", views.WeChatLoginApi.as_view(), name="auth-wechat-login"),
    path("auth/refresh", views.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/staff/login", views.StaffLoginApi.as_view(), name="auth-staff-login"),
    path("me", views.MeApi.as_view(), name="me"),
    path("me/ping", views.MePingApi.as_view(), name="me-ping"),
    path("me/level", views.MeLevelApi.as_view(), name="me-level"),
    path("me/member-code", views.MeMemberCodeApi.as_view(), name="me-member-code"),
    path("me/phone", views.MePhoneApi.as_view(), name="me-phone"),
    path("me/avatar", views.MeAvatarApi.as_view(), name="me-avatar"),
    path("me/export", views.MeExportApi.as_view(), name="me-export"),
]
