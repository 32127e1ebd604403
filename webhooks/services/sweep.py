"""Sweeping: the beat sweeper's pass that takes back webhooks whose worker died and resends the
wake-up messages that were never sent or were lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.models import Integration
from webhooks.models import AttemptOutcome, Webhook, WebhookAttempt, WebhookStatus
from webhooks.services.enqueue import webhook_enqueue_many
from webhooks.services.tunables import ENQUEUE_GRACE, REQUEUE_AFTER, gave_up_after

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    enqueued: int = 0
    reclaimed: int = 0
    failed: int = 0


def webhook_sweep(*, limit: int = 500) -> SweepReport:
    """One pass of the beat sweeper.

    1. Reclaims ``processing`` webhooks whose lease expired (their worker died): the lost attempt
       counts as one try, with its attempt row, so a webhook that kills its worker every time
       ends ``failed`` instead of looping; otherwise it goes back to ``pending``, due at once.
    2. Sends a message for every ``pending`` webhook that is due and whose message is missing (the
       broker was down when it was stored) or long overdue (presumed lost).
    """
    report = SweepReport()
    now = timezone.now()
    expired = Webhook.objects.filter(
        status=WebhookStatus.PROCESSING, locked_until__lt=now
    ).values_list(
        "pk",
        "locked_until",
        "retry_count",
        "max_retries",
        "attempt_count",
        "updated_at",
        "integration_id",
    )[:limit]
    for (
        webhook_id,
        locked_until,
        retry_count,
        max_retries,
        attempt_count,
        claimed_at,
        integration_id,
    ) in expired:
        outcome = _take_back_lost(
            webhook_id,
            locked_until=locked_until,
            give_up=retry_count >= max_retries,
            retry_count=retry_count,
            number=attempt_count + 1,
            claimed_at=claimed_at,
            now=now,
            integration_id=integration_id,
        )
        if outcome == WebhookStatus.FAILED:
            report.failed += 1
        elif outcome == WebhookStatus.PENDING:
            report.reclaimed += 1

    due = (
        Webhook.objects.filter(status=WebhookStatus.PENDING, rejected=False)
        .filter(Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))
        .filter(
            Q(
                enqueued_at__isnull=True,
                updated_at__lte=now - ENQUEUE_GRACE,
            )
            | Q(enqueued_at__isnull=True, next_retry_at__isnull=False)
            | Q(enqueued_at__lte=now - REQUEUE_AFTER)
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


_LOST = "the worker processing it stopped before finishing (lease expired)"


def _take_back_lost(
    webhook_id: Any,
    *,
    locked_until: datetime | None,
    give_up: bool,
    retry_count: int,
    number: int,
    claimed_at: datetime,
    now: datetime,
    integration_id: Any,
) -> str | None:
    """End a lost try: the webhook goes back to ``pending`` (or ``failed`` with no retries
    left) and the try gets its attempt row, in one transaction; nothing when another worker or
    sweeper got there first. The try started when it was claimed (the claim is the last write
    of ``updated_at`` before the result's); how long it ran before its worker died is unknown."""
    base = Webhook.objects.filter(
        pk=webhook_id, status=WebhookStatus.PROCESSING, locked_until=locked_until
    )
    if give_up:
        status = WebhookStatus.FAILED
        changes: dict[str, Any] = {
            "error_message": f"{_LOST}; {gave_up_after(number)}",
            "next_retry_at": None,
        }
    else:
        status = WebhookStatus.PENDING
        changes = {
            "error_message": _LOST,
            "next_retry_at": now,
            "retry_count": retry_count + 1,
            "enqueued_at": None,
        }
    with transaction.atomic():
        taken = base.update(
            status=status, locked_until=None, attempt_count=number, updated_at=now, **changes
        )
        if not taken:
            return None
        WebhookAttempt.objects.create(
            webhook_id=webhook_id,
            number=number,
            started_at=claimed_at,
            duration_ms=None,
            status_code=None,
            outcome=AttemptOutcome.FAILURE,
            error=_LOST,
        )
        if give_up:
            # Operators are told (CONTRACT "Alerts"), with the state change's commit.
            alert_record(
                event="webhook.failed",
                integration=Integration.all_objects.filter(pk=integration_id).first(),
                detail=f"webhook {webhook_id}: {changes['error_message']}",
            )
    return status
