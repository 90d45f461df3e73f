from django.utils.translation import gettext as _
from rest_framework.pagination import PageNumberPagination, _positive_int

from core.exceptions import ApplicationError


def _invalid_page() -> ApplicationError:
    return ApplicationError("invalid_page", _("page and page_size must be positive whole numbers."), 400)


class Pagination(PageNumberPagination):
    """Lists are {"results": [...], "next": url|null}; count and previous come along.

    `page` and `page_size` must be positive whole numbers (400 `invalid_page` otherwise, never a
    silent default); a page past the end is 404 `not_found`.
    """

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            return _positive_int(raw, strict=True, cutoff=self.max_page_size)
        except ValueError:
            raise ApplicationError(
                "invalid_page", _("page and page_size must be positive whole numbers."), 400
            ) from None

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        try:
            return _positive_int(raw, strict=True)
        except ValueError:
            raise ApplicationError(
                "invalid_page", _("page and page_size must be positive whole numbers."), 400
            ) from None
