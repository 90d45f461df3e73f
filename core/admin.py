from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.models import User

admin.site.site_header = _("Growth operations")
admin.site.site_title = _("Growth operations")
admin.site.index_title = _("Operations home")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("id", "nickname", "username", "phone", "phone_verified", "is_staff", "date_joined")
    list_filter = ("phone_verified", "is_staff", "is_active", "date_joined")
    search_fields = ("nickname", "openid", "phone", "username", "unionid")
    ordering = ("-date_joined",)
    readonly_fields = ("openid", "unionid", "date_joined", "last_login")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Mini-program"),
            {"fields": ("openid", "unionid", "nickname", "avatar", "avatar_url", "phone", "phone_verified")},
        ),
    )
