"""Celery tasks of the integrations app."""

from __future__ import annotations

from celery import shared_task

from integrations.heartbeats import worker_heartbeat_record
from integrations.services import integration_log_purge


@shared_task(name="integrations.worker_heartbeat", ignore_result=True)
def worker_heartbeat(*, hostname: str | None = None) -> str:
    """Record that a worker took a task off the queue (beat sends one every minute)."""
    from celery import current_task

    name = hostname or (current_task.request.hostname if current_task else None) or "eager"
    worker_heartbeat_record(hostname=name)
    return name


@shared_task(name="integrations.purge_logs", ignore_result=True)
def purge_integration_logs() -> dict[str, int]:
    """Retention, daily from beat: integration logs past RETENTION_LOG_DAYS."""
    report = integration_log_purge()
    return {"deleted": report.deleted, "batches": report.batches}
