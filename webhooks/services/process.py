"""Processing: claim a pending webhook (``claim``), run its handlers and forward under a lease, and
record the outcome, or the failure with its next retry, with the try's ``WebhookAttempt`` row
(``outcome``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.config import IntegrationConfig
from integrations.models import Integration, IntegrationLog
from integrations.redaction import redact
from integrations.services import integration_secret_values
from webhooks.forwarding import ForwardError, webhook_forward
from webhooks.handlers import handlers_for
from webhooks.lease import LeaseKeeper
from webhooks.models import Webhook, WebhookStatus
from webhooks.services.claim import config_of, webhook_claim
from webhooks.services.enqueue import webhook_enqueue
from webhooks.services.outcome import webhook_attempt_build, webhook_finish
from webhooks.services.tunables import MAX_RETRY_DELAY_SECONDS, gave_up_after

logger = logging.getLogger(__name__)
events = structlog.get_logger(__name__)


def lease_seconds(integration: Integration | None) -> float:
    """How long a worker may hold a webhook (``IntegrationConfig.lease_seconds``)."""
    return config_of(integration).lease_seconds


def retry_delay_seconds(*, integration: Integration | None, retry_count: int) -> float:
    """``retry_backoff_seconds`` × 2^(retry_count − 1), ±20 % jitter, at most one hour."""
    return _retry_delay(config_of(integration), retry_count)


def _retry_delay(config: IntegrationConfig, retry_count: int) -> float:
    base = config.retry_backoff_seconds
    # Past 2^62 every positive base is over the cap; a larger power would not fit a float.
    delay: float = base * (2 ** min(max(0, retry_count - 1), 62))
    return min(delay * random.uniform(0.8, 1.2), MAX_RETRY_DELAY_SECONDS)


def _run(
    webhook: Webhook,
    integration: Integration | None,
    config: IntegrationConfig,
    logs: list[IntegrationLog],
) -> str | None:
    """Run the handlers and the forward; None when done, else why the webhook is ignored.
    Raises on failure. The forward's log entry is added to ``logs``, for the caller to write."""
    provider = (integration.provider if integration else webhook.source) or ""
    handlers = handlers_for(provider=provider, event_type=webhook.event_type)
    forward_url = config.forward_url
    if not handlers and not forward_url:
        return (
            f"no handler for provider {provider!r} and event type {webhook.event_type!r}, "
            "and no config.forward_url"
        )
    for handler in handlers:
        handler(webhook)
    if forward_url and integration is not None:
        webhook_forward(
            webhook=webhook,
            integration=integration,
            url=str(forward_url),
            config=config,
            write_log=logs.append,
        )
    return None


def webhook_process(*, webhook_id: Any) -> str | None:
    """Process one webhook if this worker can claim it; return its new status (None when another
    worker has it, or it is not pending or not yet due)."""
    claimed = webhook_claim(webhook_id)
    if claimed is None:
        return None
    webhook, integration, config = claimed
    with structlog.contextvars.bound_contextvars(
        webhook_id=str(webhook.pk), integration=integration.code if integration else None
    ):
        status = _process_claimed(webhook, integration, config)
        if status is not None:
            events.info("webhook_processed", webhook_status=status, event_type=webhook.event_type)
        return status


def _process_claimed(
    webhook: Webhook, integration: Integration | None, config: IntegrationConfig
) -> str | None:
    token = webhook.locked_until
    assert token is not None
    keeper = LeaseKeeper(
        webhook.pk,
        token,
        lease_seconds=config.lease_seconds,
        max_seconds=settings.CELERY_TASK_TIME_LIMIT,
    )
    # The outbound calls' log entries, written with the outcome, whichever it is.
    logs: list[IntegrationLog] = []
    started_at = timezone.now()
    started = time.monotonic()
    try:
        with keeper:
            ignored_reason = _run(webhook, integration, config, logs)
    except Exception as error:
        return _record_failure(
            webhook, integration, config, keeper.token, error, logs, started_at, started
        )
    status = WebhookStatus.IGNORED if ignored_reason else WebhookStatus.COMPLETED
    webhook_finish(
        webhook,
        keeper.token,
        # Nothing to do is not a failed try: the reason is the webhook's error_message.
        attempt=webhook_attempt_build(webhook, started_at=started_at, started=started, logs=logs),
        logs=logs,
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
    webhook: Webhook,
    integration: Integration | None,
    config: IntegrationConfig,
    token: datetime,
    error: Exception,
    logs: Sequence[IntegrationLog],
    started_at: datetime,
    started: float,
) -> str:
    message = _failure_message(error)
    if integration is not None:
        message = _redact_secrets(message, integration)
    if not isinstance(error, ForwardError):
        logger.warning("webhook %s handler failed: %s", webhook.pk, message)
    attempt = webhook_attempt_build(
        webhook, started_at=started_at, started=started, logs=logs, error=message
    )
    if webhook.retry_count >= webhook.max_retries:
        error_message = f"{message} ({gave_up_after(attempt.number)})"
        with transaction.atomic():
            if webhook_finish(
                webhook,
                token,
                attempt=attempt,
                logs=logs,
                status=WebhookStatus.FAILED,
                locked_until=None,
                next_retry_at=None,
                error_message=error_message,
            ):
                # Operators are told (CONTRACT "Alerts"), with the state change's commit.
                alert_record(
                    event="webhook.failed",
                    integration=integration,
                    detail=f"webhook {webhook.pk}: {error_message}",
                )
        return WebhookStatus.FAILED
    retry_count = webhook.retry_count + 1
    delay = _retry_delay(config, retry_count)
    if webhook_finish(
        webhook,
        token,
        attempt=attempt,
        logs=logs,
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
