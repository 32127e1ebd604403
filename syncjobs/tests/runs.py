"""Running a sync job in the tests, as the worker does, and reading its counters."""

from __future__ import annotations

from integrations.models import Integration
from syncjobs.engine import sync_job_execute
from syncjobs.models import SyncJob
from syncjobs.services import sync_job_create


def run_sync(integration: Integration, job_type: str = "manual_sync") -> SyncJob:
    job = sync_job_create(integration=integration, job_type=job_type, enqueue=False)
    result = sync_job_execute(job_id=job.pk)
    assert result is not None
    return result


def counts_of(job: SyncJob) -> tuple[int, int, int, int]:
    return job.records_processed, job.records_created, job.records_updated, job.records_failed
