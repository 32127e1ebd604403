"""Celery tasks of the sync engine: thin doors to the services (the job row is the truth)."""

from __future__ import annotations

import logging

from celery import shared_task

from syncjobs.engine import sync_job_execute
from syncjobs.services import run_scheduled_syncs, sync_jobs_sweep

logger = logging.getLogger(__name__)


@shared_task(name="syncjobs.run_job", ignore_result=True)
def sync_job_run_task(job_id: str) -> None:
    """Run one sync job; a duplicate message finds the job already claimed and does nothing."""
    sync_job_execute(job_id=job_id)


@shared_task(name="syncjobs.run_scheduled_syncs", ignore_result=True)
def run_scheduled_syncs_task() -> None:
    """One scheduler pass; beat sends this every minute."""
    result = run_scheduled_syncs()
    if result.created or result.resent or result.failed_stale:
        logger.info(
            "scheduler: %d job(s) created, %d resent, %d stale failed",
            len(result.created),
            result.resent,
            result.failed_stale,
        )


@shared_task(name="syncjobs.sweep", ignore_result=True)
def sweep_sync_jobs_task() -> dict[str, int]:
    """Fail running jobs whose worker died and resend lost pending ones; beat, every 10 s."""
    resent, failed = sync_jobs_sweep()
    if resent or failed:
        logger.info("sync sweep: %d resent, %d stale failed", resent, failed)
    return {"resent": resent, "failed": failed}
