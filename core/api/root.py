"""The API's front door: an index at /api/, and a JSON 404 for every path under /api that is no endpoint.

Django answers an unmatched path with its HTML debug page when DEBUG is on (`make run`), and
APPEND_SLASH turns a POST to /api/schema into a 500 there; a route that matches every other path
under /api keeps both out of the API, in every mode.
"""

import re

from django.conf import settings
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.api.exception_handlers import error_body, json_not_found


class ApiIndexOutput(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    docs = serializers.URLField(help_text="Swagger UI, served without internet access.")
    schema = serializers.URLField(help_text="The OpenAPI 3 schema.")
    groups = serializers.ListField(
        child=serializers.CharField(), help_text="The first segment of every path under /api/ (`me`, `points`, ...)."
    )


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def api_groups(urlconf=None) -> list[str]:
    """The top-level path segments under /api/, read from the URLconf (so a new app shows up by itself)."""
    groups = set()
    for route in _routes(get_resolver(urlconf).url_patterns):
        if route.startswith("api/"):
            group = route.removeprefix("api/").split("/", 1)[0]
            if re.fullmatch(r"[\w-]+", group):  # not the index, a parameter or a regex
                groups.add(group)
    return sorted(groups)


class ApiIndexApi(APIView):
    """Public: what this API is and where its documentation lives."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_index",
        summary="API index (public)",
        description="What this API is (name, version), where its documentation lives (`docs`, `schema`) "
        "and the first segment of every path under /api/ (`groups`). No token needed.",
        auth=[],
        responses={200: ApiIndexOutput},
    )
    def get(self, request):
        index = {
            "name": settings.SPECTACULAR_SETTINGS["TITLE"],
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "docs": reverse("docs", request=request),
            "schema": reverse("schema", request=request),
            "groups": api_groups(getattr(request, "urlconf", None)),
        }
        return Response(ApiIndexOutput(index).data)


def _endpoint(path: str, urlconf) -> bool:
    """Whether `path` is served by a real view (not by `api_not_found`)."""
    try:
        return resolve(path, urlconf).func is not api_not_found
    except Resolver404:
        return False


@csrf_exempt  # Nothing happens here; without it a POST would get Django's HTML CSRF page first.
def api_not_found(request):
    urlconf = getattr(request, "urlconf", None)
    path = request.path_info
    if path.endswith("/"):
        # The API's paths have no trailing slash (only schema/ and docs/ do): say so.
        bare = path.rstrip("/")
        if bare and _endpoint(bare, urlconf):
            detail = _("Not found. API paths end without a slash: try %(path)s.") % {"path": request.path.rstrip("/")}
            return JsonResponse(error_body("not_found", detail), status=404)
    elif request.method in {"GET", "HEAD"} and _endpoint(path + "/", urlconf):
        # What APPEND_SLASH would have done (/api/docs -> /api/docs/), for reads only: a redirected
        # POST loses its body.
        return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return json_not_found(request)
