from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """The member's journey across apps: WeChat login and registration, phone, profile, `me`."""

    name = "accounts"
    verbose_name = _("Members")
