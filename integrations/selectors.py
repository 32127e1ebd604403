"""Reads on integrations and their logs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from integrations.filters import IntegrationFilter, IntegrationLogFilter
from integrations.models import Integration, IntegrationLog


def integration_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Integration]:
    return IntegrationFilter(filters or {}, queryset=Integration.objects.all()).qs


def integration_get_live(*, code: str) -> Integration | None:
    """The live integration with this code, or None (unknown or soft-deleted)."""
    return Integration.objects.filter(code=code).first()


def integration_log_list(*, filters: dict[str, Any] | None = None) -> QuerySet[IntegrationLog]:
    queryset = IntegrationLog.objects.select_related("integration")
    return IntegrationLogFilter(filters or {}, queryset=queryset).qs
