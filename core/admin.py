from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Slot, SlotItem, User

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

    def save_model(self, request, obj, form, change):
        from core.faces import user_faces_forget

        super().save_model(request, obj, form, change)
        if change:  # boards show the nickname and avatar from a cache
            user_faces_forget(user_ids=[obj.pk])


class SlotItemInline(admin.TabularInline):
    model = SlotItem
    fields = ("sort_order", "title", "image", "image_url", "link_type", "target", "starts_at", "ends_at", "is_active")
    extra = 1
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    """Ops slots (运营位): saving a slot or its items drops the cached answer of `slots/<key>`."""

    list_display = ("key", "name", "is_active")
    inlines = [SlotItemInline]

    def save_model(self, request, obj, form, change):
        from core.slots import slot_save

        slot_save(slot=obj, old_key=form.initial.get("key", "") if change else "")

    def save_related(self, request, form, formsets, change):
        from core.slots import slot_cache_clear

        super().save_related(request, form, formsets, change)
        slot_cache_clear(key=form.instance.key)

    def delete_model(self, request, obj):
        from core.slots import slot_cache_clear

        key = obj.key
        super().delete_model(request, obj)
        slot_cache_clear(key=key)
