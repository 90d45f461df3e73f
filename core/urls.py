from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api.root import ApiIndexApi, api_not_found
from core.health import healthz

api_patterns = [
    path("", ApiIndexApi.as_view(), name="api-index"),
    path("", include("core.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("points.api.urls")),
    path("", include("mall.api.urls")),
    path("", include("checkin.api.urls")),
    path("", include("referral.api.urls")),
    path("", include("campaigns.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # Every other path under /api, /api itself included, is the API's JSON 404 (core.api.root).
    re_path(r"^api(?:/|$)", api_not_found),
    path("staff/visits/", include("checkin.frontdesk.urls")),
    path("staff/", include("mall.frontdesk.urls")),
    path("", include("referral.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "core.api.exception_handlers.json_bad_request"
handler403 = "core.api.exception_handlers.json_permission_denied"
handler404 = "core.api.exception_handlers.json_not_found"
handler500 = "core.api.exception_handlers.json_server_error"
