"""Processing: claim a pending webhook, run its handlers and forward under a lease, and record the
outcome, or the failure with its next retry, only while the claim still holds.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.config import IntegrationConfig
from integrations.models import Integration
from integrations.redaction import redact
from integrations.services import integration_secret_values
from webhooks.forwarding import ForwardError, webhook_forward
from webhooks.handlers import handlers_for
from webhooks.lease import LeaseKeeper
from webhooks.models import Webhook, WebhookStatus
from webhooks.services._common import _EARLY_CLAIM, MAX_RETRY_DELAY_SECONDS
from webhooks.services.enqueue import webhook_enqueue

logger = logging.getLogger(__name__)
events = structlog.get_logger(__name__)


def _config_of(integration: Integration | None) -> IntegrationConfig:
    return integration.typed_config if integration is not None else IntegrationConfig()


def lease_seconds(integration: Integration | None) -> float:
    """How long a worker may hold a webhook (``IntegrationConfig.lease_seconds``)."""
    return _config_of(integration).lease_seconds


def retry_delay_seconds(*, integration: Integration | None, retry_count: int) -> float:
    """``retry_backoff_seconds`` × 2^(retry_count − 1), ±20 % jitter, at most one hour."""
    base = _config_of(integration).retry_backoff_seconds
    # Past 2^62 every positive base is over the cap; a larger power would not fit a float.
    delay: float = base * (2 ** min(max(0, retry_count - 1), 62))
    return min(delay * random.uniform(0.8, 1.2), MAX_RETRY_DELAY_SECONDS)


def _claim(
    webhook_id: Any, *, lease: float, seen: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """Take the webhook if it is pending and due: ``(lease end, now)``; the lease end is the
    claim's token. With ``seen`` (the ``updated_at`` the caller read), only if the row has not
    been written since, so the caller's copy is the claimed row."""
    now = timezone.now()
    until = now + timedelta(seconds=lease)
    rows = Webhook.objects.filter(pk=webhook_id, status=WebhookStatus.PENDING, rejected=False)
    if seen is not None:
        rows = rows.filter(updated_at=seen)
    claimed = rows.filter(
        Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now + _EARLY_CLAIM)
    ).update(status=WebhookStatus.PROCESSING, locked_until=until, updated_at=now)
    return (until, now) if claimed else None


def _finish(webhook: Webhook, token: datetime, **changes: Any) -> bool:
    """Record the outcome only while the claim still holds; a worker whose lease was taken back
    by the sweeper must not overwrite the newer owner's work."""
    changes.setdefault("updated_at", timezone.now())
    return bool(
        Webhook.objects.filter(
            pk=webhook.pk, status=WebhookStatus.PROCESSING, locked_until=token
        ).update(**changes)
    )


def _run(webhook: Webhook, integration: Integration | None) -> str | None:
    """Run the handlers and the forward; None when done, else why the webhook is ignored.
    Raises on failure."""
    provider = (integration.provider if integration else webhook.source) or ""
    handlers = handlers_for(provider=provider, event_type=webhook.event_type)
    forward_url = _config_of(integration).forward_url
    if not handlers and not forward_url:
        return (
            f"no handler for provider {provider!r} and event type {webhook.event_type!r}, "
            "and no config.forward_url"
        )
    for handler in handlers:
        handler(webhook)
    if forward_url and integration is not None:
        webhook_forward(webhook=webhook, integration=integration, url=str(forward_url))
    return None


def webhook_process(*, webhook_id: Any) -> str | None:
    """Process one webhook if this worker can claim it; return its new status (None when another
    worker has it, or it is not pending or not yet due)."""
    webhook = Webhook.objects.select_related("integration").filter(pk=webhook_id).first()
    if webhook is None:
        return None
    integration = webhook.integration
    with structlog.contextvars.bound_contextvars(
        webhook_id=str(webhook.pk), integration=integration.code if integration else None
    ):
        status = _claim_and_process(webhook, integration)
        if status is not None:
            events.info("webhook_processed", webhook_status=status, event_type=webhook.event_type)
        return status


def _claim_and_process(webhook: Webhook, integration: Integration | None) -> str | None:
    lease = lease_seconds(integration)
    # Claimed as read (one UPDATE, no second read): the common case. A row written between the
    # read and the claim (a retry, the sweeper) is claimed as it is now and read again.
    claim = _claim(webhook.pk, lease=lease, seen=webhook.updated_at)
    if claim is not None:
        token, webhook.updated_at = claim
        webhook.status, webhook.locked_until = WebhookStatus.PROCESSING, token
    else:
        claim = _claim(webhook.pk, lease=lease)
        if claim is None:
            return None
        token = claim[0]
        webhook.refresh_from_db()
    keeper = LeaseKeeper(
        webhook.pk, token, lease_seconds=lease, max_seconds=settings.CELERY_TASK_TIME_LIMIT
    )
    try:
        with keeper:
            ignored_reason = _run(webhook, integration)
    except Exception as error:
        return _record_failure(webhook, integration, keeper.token, error)
    token = keeper.token
    status = WebhookStatus.IGNORED if ignored_reason else WebhookStatus.COMPLETED
    _finish(
        webhook,
        token,
        status=status,
        error_message=ignored_reason,
        locked_until=None,
        next_retry_at=None,
        processed_at=timezone.now(),
    )
    return status


def _failure_message(error: Exception) -> str:
    if isinstance(error, ForwardError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _record_failure(
    webhook: Webhook, integration: Integration | None, token: datetime, error: Exception
) -> str:
    message = _failure_message(error)
    if integration is not None:
        message = _redact_secrets(message, integration)
    if not isinstance(error, ForwardError):
        logger.warning("webhook %s handler failed: %s", webhook.pk, message)
    if webhook.retry_count >= webhook.max_retries:
        _finish(
            webhook,
            token,
            status=WebhookStatus.FAILED,
            locked_until=None,
            next_retry_at=None,
            error_message=f"{message} (gave up after {webhook.retry_count + 1} attempts)",
        )
        return WebhookStatus.FAILED
    retry_count = webhook.retry_count + 1
    delay = retry_delay_seconds(integration=integration, retry_count=retry_count)
    if _finish(
        webhook,
        token,
        status=WebhookStatus.PENDING,
        locked_until=None,
        retry_count=retry_count,
        next_retry_at=timezone.now() + timedelta(seconds=delay),
        error_message=message,
        enqueued_at=None,
    ):
        webhook_enqueue(webhook_id=webhook.pk, countdown=delay)
    return WebhookStatus.PENDING


def _redact_secrets(text: str, integration: Integration) -> str:
    redacted: str = redact(text, secrets=integration_secret_values(integration))
    return redacted
