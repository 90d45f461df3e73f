import datetime as dt

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from core.clock import site_zone
from core.models import Slot, SlotItem, User
from core.privacy import mask_phone


def crontab_in_site_time(crontab) -> str:
    """A daily crontab ("10 16 * * *" in UTC) as the site's wall-clock time ("每天 00:10"); any other
    pattern as it is, with its zone."""
    daily = crontab.day_of_month == crontab.month_of_year == crontab.day_of_week == "*"
    if daily and crontab.minute.isdigit() and crontab.hour.isdigit():
        zone = crontab.timezone
        zone = zone if isinstance(zone, dt.tzinfo) else dt.UTC
        today = timezone.now().astimezone(zone).date()
        fires = dt.datetime.combine(today, dt.time(int(crontab.hour), int(crontab.minute)), tzinfo=zone)
        return gettext("daily at %(time)s") % {"time": fires.astimezone(site_zone()).strftime("%H:%M")}
    pattern = f"{crontab.minute} {crontab.hour} {crontab.day_of_month} {crontab.month_of_year} {crontab.day_of_week}"
    return f"{pattern} ({crontab.timezone})"


PERMISSION_ACTIONS = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission: Permission) -> str:
    """ "积分商城 | 商品 | 可以修改商品" instead of the English name Django stored at migrate time."""
    model = permission.content_type.model_class()
    if model is None:  # a table that no longer exists
        return permission.name
    action, _sep, _rest = permission.codename.partition("_")
    name = model._meta.verbose_name
    template = PERMISSION_ACTIONS.get(action) if permission.codename == f"{action}_{model._meta.model_name}" else None
    text = template % {"name": name} if template else gettext(permission.name)
    return f"{model._meta.app_config.verbose_name} | {name} | {text}"


class TranslatedPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.queryset = field.queryset.select_related("content_type")
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedPermissionsMixin, DjangoGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(TranslatedPermissionsMixin, DjangoUserAdmin):
    list_display = ("id", "nickname", "username", "masked_phone", "phone_verified", "is_staff", "date_joined")
    list_filter = ("phone_verified", "is_staff", "is_active", "date_joined")
    search_fields = ("nickname", "openid", "phone", "username", "unionid")
    ordering = ("-date_joined",)
    readonly_fields = ("openid", "unionid", "date_joined", "last_login")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Mini-program"),
            {
                "fields": (
                    "openid",
                    "unionid",
                    "nickname",
                    "avatar",
                    "avatar_url",
                    "phone",
                    "phone_verified",
                    "birthday",
                    "gender",
                    "city",
                )
            },
        ),
    )

    @admin.display(description=_("phone"), ordering="phone")
    def masked_phone(self, obj) -> str:
        """A list shows 138****5678 (docs/privacy.md); the full number only on the user's own page."""
        return mask_phone(obj.phone)

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


class LocalTimePeriodicTaskAdmin(PeriodicTaskAdmin):
    """The beat schedule with each entry's time in the site's zone: operators read 00:10, not
    "10 16 * * * UTC"."""

    list_display = ("name", "enabled", "local_schedule", "last_run_at_local", "task")

    @admin.display(description=_("runs at (site time)"))
    def local_schedule(self, obj) -> str:
        return crontab_in_site_time(obj.crontab) if obj.crontab_id else str(obj.schedule)

    @admin.display(description=_("last run (site time)"), ordering="last_run_at")
    def last_run_at_local(self, obj) -> str:
        if obj.last_run_at is None:
            return "-"
        return timezone.localtime(obj.last_run_at, site_zone()).strftime("%Y-%m-%d %H:%M")


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, LocalTimePeriodicTaskAdmin)
