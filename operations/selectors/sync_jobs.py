"""Sync jobs on the dashboard: the pending and running ones, and those just finished, with how far
each one is (what the dashboard's bars show and its JSON endpoint returns).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from syncjobs.models import ACTIVE_STATUSES, FINISHED_STATUSES, SyncJob, SyncJobStatus

# A finished job stays on the dashboard this long, so its bar is seen reaching the end.
FINISHED_JOB_VISIBLE = timedelta(minutes=15)
JOBS_SHOWN = 20


def sync_job_progress_list(*, now: datetime, limit: int = JOBS_SHOWN) -> list[dict[str, Any]]:
    """Pending and running sync jobs, and those finished in the last few minutes, with how far
    each one is: what the dashboard's bars show and its JSON endpoint returns."""
    jobs = (
        SyncJob.objects.filter(
            Q(status__in=ACTIVE_STATUSES)
            | Q(status__in=FINISHED_STATUSES, completed_at__gte=now - FINISHED_JOB_VISIBLE)
        )
        .select_related("integration")
        .only(
            "id",
            "job_type",
            "status",
            "metadata",
            "records_processed",
            "records_failed",
            "error_message",
            "created_at",
            "started_at",
            "completed_at",
            "integration__code",
            "integration__name",
        )
        .order_by("-created_at")[:limit]
    )
    return [sync_job_progress(job) for job in jobs]


def sync_job_progress(job: SyncJob) -> dict[str, Any]:
    metadata = job.metadata if isinstance(job.metadata, dict) else {}
    progress = metadata.get("progress") if isinstance(metadata.get("progress"), dict) else {}
    assert isinstance(progress, dict)
    percent = progress.get("percent")
    percent = percent if isinstance(percent, int) and not isinstance(percent, bool) else None
    if job.status == SyncJobStatus.COMPLETED:
        percent = 100
    elif percent == 0 and job.records_processed:
        percent = None  # written before percent became null for an unknown total
    if percent is not None:
        percent = max(0, min(100, percent))
        label = f"{percent}%"
    else:
        label = f"{job.records_processed:,} records, total unknown"
    message = progress.get("message") or ""
    if job.status in (SyncJobStatus.FAILED, SyncJobStatus.CANCELLED) and job.error_message:
        message = job.error_message
    return {
        "id": str(job.pk),
        "integration": job.integration.code,
        "integration_name": job.integration.name,
        "job_type": job.job_type,
        "status": job.status,
        # None when the total is unknown (the bar is indeterminate and the label says so).
        "percent": percent,
        "label": label,
        "message": str(message)[:300],
        "records_processed": job.records_processed,
        "records_failed": job.records_failed,
        "active": job.status in ACTIVE_STATUSES,
    }
