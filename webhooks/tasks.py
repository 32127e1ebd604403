"""Celery tasks of the webhook pipeline: thin doors to ``webhooks.services``.

``process_webhook`` may run twice for one message (late acks, redelivery after a crash) or find the
webhook already taken: the service's atomic claim makes that harmless.
"""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

from webhooks.services import webhook_process, webhook_purge, webhook_sweep


@shared_task(name="webhooks.process", ignore_result=True)
def process_webhook(webhook_id: str) -> str | None:
    return webhook_process(webhook_id=webhook_id)


def batch_budget_seconds() -> float:
    """How long one batch message may keep starting webhooks: a quarter of the task time limit,
    so the one started last still ends well inside it."""
    return float(settings.CELERY_TASK_TIME_LIMIT) / 4


@shared_task(name="webhooks.process_batch", ignore_result=True)
def process_webhooks(webhook_ids: list[str]) -> int:
    """The webhooks of one batched wake-up message, one after another (each claimed as in
    ``process_webhook``). What is left when the budget is spent goes back as a new message, so
    a batch of slow forwards never runs into the time limit. Returns how many were processed
    here."""
    started = time.monotonic()
    for done, webhook_id in enumerate(webhook_ids):
        if done and time.monotonic() - started > batch_budget_seconds():
            process_webhooks.apply_async(args=(webhook_ids[done:],))
            return done
        webhook_process(webhook_id=webhook_id)
    return len(webhook_ids)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_webhooks() -> dict[str, int]:
    report = webhook_sweep()
    return {"enqueued": report.enqueued, "reclaimed": report.reclaimed, "failed": report.failed}


@shared_task(name="webhooks.purge", ignore_result=True)
def purge_webhooks() -> dict[str, int]:
    """Retention, daily from beat: completed and ignored webhooks past RETENTION_WEBHOOK_DAYS."""
    report = webhook_purge()
    return {"deleted": report.deleted, "batches": report.batches}


@shared_task(name="webhooks.backlog_check", ignore_result=True)
def backlog_check() -> dict[str, int]:
    """Every minute from beat: the ``backlog`` alert (webhooks pending for over 5 minutes)."""
    from webhooks.services.backlog import webhook_backlog_check

    return webhook_backlog_check()
