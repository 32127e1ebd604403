"""Retention of stored deliveries: finished ones (``completed``, ``ignored``) past
``RETENTION_WEBHOOK_DAYS`` are deleted in batches. ``pending``, ``processing`` and ``failed``
webhooks are never deleted, however old: they are work still owed (or owed a person's look)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.retention import DEFAULT_BATCH_SIZE, PurgeReport, delete_in_batches
from webhooks.models import Webhook, WebhookStatus

PURGEABLE_STATUSES = (WebhookStatus.COMPLETED, WebhookStatus.IGNORED)


def webhook_purge(
    *,
    older_than_days: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete completed and ignored webhooks received, and last changed, before the window."""
    days = settings.RETENTION_WEBHOOK_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    old_and_finished = Webhook.objects.filter(
        status__in=PURGEABLE_STATUSES, created_at__lt=cutoff, updated_at__lt=cutoff
    )
    return delete_in_batches(old_and_finished, batch_size=batch_size, dry_run=dry_run)
