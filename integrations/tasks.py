"""Celery tasks of the integrations app."""

from __future__ import annotations

from celery import shared_task

from integrations.alerts.services import alert_channels_due, alerts_send_due
from integrations.heartbeats import worker_heartbeat_record
from integrations.log_entries import integration_log_purge


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


@shared_task(name="integrations.alerts_send", ignore_result=True)
def alerts_send(*, channel_id: str | None = None) -> dict[str, int]:
    """Send the due alerts of one channel (woken on commit when an alert opens)."""
    report = alerts_send_due(channel_id=channel_id)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@shared_task(name="integrations.alerts_sweep", ignore_result=True)
def alerts_sweep() -> int:
    """Every ALERT_SWEEP_SECONDS from beat: one send task per channel with alerts due, so a
    channel that is slow or down holds up no other. Covers wake-ups lost with the broker."""
    channel_ids = alert_channels_due()
    for channel_id in channel_ids:
        alerts_send.delay(channel_id=str(channel_id))
    return len(channel_ids)
