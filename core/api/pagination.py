"""Pagination of the API's lists.

``StandardPagination`` (page numbers: ``count``, ``next``, ``previous``, ``results``) serves the
small lists. ``KeysetPagination`` serves the lists that grow without bound (webhooks, integration
logs, sync jobs): ``next`` and ``previous`` carry an opaque cursor on the ordering's first field
(``created_at``, ties broken by ``id``), so any page costs one index range scan of
``page_size + 1`` rows however deep it is and however big the table, and no page counts the
matching rows (a ``COUNT`` of a million-row filter costs more than the page). Both take
``?page_size=`` up to 500.
"""

import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_PAGE_SIZE = 500


class StrictPageSize:
    """``?page_size=`` is a whole number from 1 to 500 (as the schema says), else a 400 naming
    it: DRF would silently fall back to the default size."""

    page_size: int | None
    page_size_query_param: str | None
    max_page_size: int | None

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.get(self.page_size_query_param or "page_size")
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"\d{1,9}", raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError({"page_size": [f"Use a whole number from 1 to {MAX_PAGE_SIZE}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter.get("name") == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
        return parameters


class StandardPagination(StrictPageSize, PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class KeysetPagination(StrictPageSize, CursorPagination):
    """Newest first by ``(created_at, id)``, the order of the tables' ``created_at`` indexes;
    ``?ordering=`` (the view's ``ordering_fields``) still chooses another order."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-created_at", "-id")
