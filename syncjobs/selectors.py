"""Reads on sync jobs and synced records."""

from __future__ import annotations

from uuid import UUID

from syncjobs.models import ACTIVE_STATUSES, SyncJob


def sync_job_get_active(*, integration_id: UUID | str) -> SyncJob | None:
    """The pending or running job of an integration, if any (there is at most one)."""
    return SyncJob.objects.filter(integration_id=integration_id, status__in=ACTIVE_STATUSES).first()
