"""Reads on sync jobs and synced records."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from syncjobs.filters import SyncedRecordFilter, SyncJobFilter
from syncjobs.models import ACTIVE_STATUSES, SyncedRecord, SyncJob


def sync_job_list(*, filters: dict[str, Any] | None = None) -> QuerySet[SyncJob]:
    return SyncJobFilter(filters or {}, queryset=SyncJob.objects.all()).qs


def sync_job_get_active(*, integration_id: object) -> SyncJob | None:
    """The pending or running job of an integration, if any (there is at most one)."""
    return SyncJob.objects.filter(integration_id=integration_id, status__in=ACTIVE_STATUSES).first()


def synced_record_list(*, filters: dict[str, Any] | None = None) -> QuerySet[SyncedRecord]:
    return SyncedRecordFilter(filters or {}, queryset=SyncedRecord.objects.all()).qs
