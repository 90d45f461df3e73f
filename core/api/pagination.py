from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Lists are {"results": [...], "next": url|null}; count and previous come along."""

    page_size_query_param = "page_size"
    max_page_size = 100
