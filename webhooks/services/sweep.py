"""Sweeping: the beat sweeper's pass that takes back webhooks whose worker died and resends the
wake-up messages that were never sent or were lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.models import Integration
from webhooks.models import Webhook, WebhookStatus
from webhooks.services._common import _ENQUEUE_GRACE, _REQUEUE_AFTER
from webhooks.services.enqueue import webhook_enqueue_many

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    enqueued: int = 0
    reclaimed: int = 0
    failed: int = 0


def webhook_sweep(*, limit: int = 500) -> SweepReport:
    """One pass of the beat sweeper.

    1. Reclaims ``processing`` webhooks whose lease expired (their worker died): the lost attempt
       counts as one try, so a webhook that kills its worker every time ends ``failed`` instead of
       looping; otherwise it goes back to ``pending``, due at once.
    2. Sends a message for every ``pending`` webhook that is due and whose message is missing (the
       broker was down when it was stored) or long overdue (presumed lost).
    """
    report = SweepReport()
    now = timezone.now()
    expired = Webhook.objects.filter(
        status=WebhookStatus.PROCESSING, locked_until__lt=now
    ).values_list("pk", "locked_until", "retry_count", "max_retries", "integration_id")[:limit]
    for webhook_id, locked_until, retry_count, max_retries, integration_id in expired:
        lost = "the worker processing it stopped before finishing (lease expired)"
        base = Webhook.objects.filter(
            pk=webhook_id, status=WebhookStatus.PROCESSING, locked_until=locked_until
        )
        if retry_count >= max_retries:
            error_message = f"{lost}; gave up after {retry_count + 1} attempts"
            with transaction.atomic():
                failed = base.update(
                    status=WebhookStatus.FAILED,
                    locked_until=None,
                    next_retry_at=None,
                    error_message=error_message,
                    updated_at=now,
                )
                if failed:
                    alert_record(
                        event="webhook.failed",
                        integration=Integration.all_objects.filter(pk=integration_id).first(),
                        detail=f"webhook {webhook_id}: {error_message}",
                    )
            report.failed += failed
        else:
            report.reclaimed += base.update(
                status=WebhookStatus.PENDING,
                locked_until=None,
                next_retry_at=now,
                retry_count=retry_count + 1,
                error_message=lost,
                enqueued_at=None,
                updated_at=now,
            )

    due = (
        Webhook.objects.filter(status=WebhookStatus.PENDING, rejected=False)
        .filter(Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))
        .filter(
            Q(
                enqueued_at__isnull=True,
                updated_at__lte=now - _ENQUEUE_GRACE,
            )
            | Q(enqueued_at__isnull=True, next_retry_at__isnull=False)
            | Q(enqueued_at__lte=now - _REQUEUE_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    report.enqueued = webhook_enqueue_many(list(due), force=True)
    if report.enqueued or report.reclaimed or report.failed:
        logger.info(
            "webhook sweep: %d enqueued, %d reclaimed, %d failed after a lost worker",
            report.enqueued,
            report.reclaimed,
            report.failed,
        )
    return report
