from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from core.api.exception_handlers import error_body


class RequestSizeLimitMiddleware:
    """Refuse an oversized body from its Content-Length, before anything reads it.

    DRF's JSON parser reads the raw stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not
    guard it; uploads (multipart) get their own, larger limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_UPLOAD_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return JsonResponse(error_body("payload_too_large", _("The request body is too large.")), status=413)
        return self.get_response(request)
