"""Pagination of the API's lists.

``StandardPagination`` (page numbers: ``count``, ``next``, ``previous``, ``results``) serves the
small lists. ``KeysetPagination`` serves the lists that grow without bound (webhooks, integration
logs, sync jobs): ``next`` and ``previous`` carry an opaque cursor on the ordering's first field
(``created_at``, ties broken by ``id``), so any page costs one index range scan of
``page_size + 1`` rows however deep it is and however big the table, and no page counts the
matching rows (a ``COUNT`` of a million-row filter costs more than the page). Both take
``?page_size=`` up to 500.
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_PAGE_SIZE = 500


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class KeysetPagination(CursorPagination):
    """Newest first by ``(created_at, id)``, the order of the tables' ``created_at`` indexes;
    ``?ordering=`` (the view's ``ordering_fields``) still chooses another order."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-created_at", "-id")
