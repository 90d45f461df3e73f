"""Outside /api/ and /admin/: the front-desk page store staff verify vouchers on."""

from django.contrib.auth import views as auth_views
from django.urls import path

from mall.frontdesk import views

urlpatterns = [
    path("", views.front_desk, name="frontdesk"),
    path("verify", views.front_desk_verify, name="frontdesk-verify"),
    path(
        "login",
        auth_views.LoginView.as_view(template_name="mall/frontdesk/login.html", next_page="frontdesk"),
        name="frontdesk-login",
    ),
    path("logout", auth_views.LogoutView.as_view(next_page="frontdesk-login"), name="frontdesk-logout"),
]
