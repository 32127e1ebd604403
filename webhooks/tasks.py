"""Celery tasks of the webhook pipeline: thin doors to ``webhooks.services``.

``process_webhook`` may run twice for one message (late acks, redelivery after a crash) or find the
webhook already taken: the service's atomic claim makes that harmless.
"""

from __future__ import annotations

from celery import shared_task

from webhooks.services import webhook_process, webhook_purge, webhook_sweep


@shared_task(name="webhooks.process", ignore_result=True)
def process_webhook(webhook_id: str) -> str | None:
    return webhook_process(webhook_id=webhook_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_webhooks() -> dict[str, int]:
    report = webhook_sweep()
    return {"enqueued": report.enqueued, "reclaimed": report.reclaimed, "failed": report.failed}


@shared_task(name="webhooks.purge", ignore_result=True)
def purge_webhooks() -> dict[str, int]:
    """Retention, daily from beat: completed and ignored webhooks past RETENTION_WEBHOOK_DAYS."""
    report = webhook_purge()
    return {"deleted": report.deleted, "batches": report.batches}
