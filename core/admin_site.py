"""The admin as operators meet it: their apps first, in the order of their day, and the tables
only engineers need (accounts and groups, tokens, the beat schedule, raw events) last, together
under 系统. The order names apps by label (settings.ADMIN_APP_ORDER): the foundation knows no app."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class GrowthAdminSite(admin.AdminSite):
    site_header = _("Growth operations")
    site_title = _("Growth operations")
    index_title = _("Operations home")

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        order = {label: index for index, label in enumerate(settings.ADMIN_APP_ORDER)}
        system_labels = set(settings.ADMIN_SYSTEM_APPS)
        first = settings.ADMIN_FIRST_MODELS
        for app in apps:  # the dashboard before the tables it summarises
            app["models"].sort(key=lambda model: f"{app['app_label']}.{model['object_name']}" not in first)
        business = [app for app in apps if app["app_label"] not in system_labels]
        business.sort(key=lambda app: (order.get(app["app_label"], len(order)), str(app["name"])))
        system_models = [
            {**model, "name": f"{model['name']} · {app['name']}"}
            for app in apps
            if app["app_label"] in system_labels
            for model in app["models"]
        ]
        if system_models:
            business.append(
                {
                    "name": _("System"),
                    "app_label": "system",
                    "app_url": reverse("admin:index", current_app=self.name) + "#system",
                    "has_module_perms": True,
                    "models": system_models,
                }
            )
        return business


class GrowthAdminConfig(AdminConfig):
    default_site = "core.admin_site.GrowthAdminSite"
