"""Processing: claim a pending webhook, run its handlers and forward under a lease, and record the
outcome, or the failure with its next retry, only while the claim still holds.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import connection
from django.utils import timezone

from integrations.config import IntegrationConfig
from integrations.models import Integration, IntegrationLog
from integrations.redaction import redact
from integrations.services import integration_secret_values
from webhooks.forwarding import ForwardError, webhook_forward
from webhooks.handlers import handlers_for
from webhooks.lease import LeaseKeeper
from webhooks.models import Webhook, WebhookStatus
from webhooks.services._common import _EARLY_CLAIM, MAX_RETRY_DELAY_SECONDS
from webhooks.services._statements import (
    RowReader,
    assignments,
    insert_statement,
    mark_saved,
    param,
)
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
    return _retry_delay(_config_of(integration), retry_count)


def _retry_delay(config: IntegrationConfig, retry_count: int) -> float:
    base = config.retry_backoff_seconds
    # Past 2^62 every positive base is over the cap; a larger power would not fit a float.
    delay: float = base * (2 ** min(max(0, retry_count - 1), 62))
    return min(delay * random.uniform(0.8, 1.2), MAX_RETRY_DELAY_SECONDS)


_WEBHOOK = RowReader(Webhook, "w")
_INTEGRATION = RowReader(Integration, "i")


def _param(name: str, value: Any) -> Any:
    return param(Webhook, name, value, connection)


def _read(webhook_id: Any) -> tuple[Webhook, Integration | None] | None:
    """The webhook with its integration, in one statement, while it is pending and not refused
    (anything else a message finds is not for this worker to take)."""
    with connection.cursor() as cursor:
        cursor.execute(
            # Column names from the models' metadata; every value is a parameter.
            f"SELECT {_WEBHOOK.columns(connection)}, {_INTEGRATION.columns(connection)} "  # noqa: S608
            "FROM webhooks w LEFT JOIN integrations i ON i.id = w.integration_id "
            "WHERE w.id = %s AND w.status = %s AND w.rejected = %s",
            [
                _param("id", webhook_id),
                _param("status", WebhookStatus.PENDING.value),
                _param("rejected", False),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    webhook: Webhook = _WEBHOOK.build(row, connection)
    integration: Integration | None = _INTEGRATION.build(
        row, connection, offset=len(_WEBHOOK.fields)
    )
    if integration is not None:
        webhook.integration = integration
    return webhook, integration


def _claim(
    webhook_id: Any, *, lease: float, seen: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """Take the webhook if it is pending and due: ``(lease end, now)``; the lease end is the
    claim's token. With ``seen`` (the ``updated_at`` the caller read), only if the row has not
    been written since, so the caller's copy is the claimed row."""
    now = timezone.now()
    until = now + timedelta(seconds=lease)
    changes, params = assignments(
        Webhook,
        connection,
        {"status": WebhookStatus.PROCESSING.value, "locked_until": until, "updated_at": now},
    )
    sql = (
        f"UPDATE webhooks SET {changes} WHERE id = %s AND status = %s AND rejected = %s "  # noqa: S608
        "AND (next_retry_at IS NULL OR next_retry_at <= %s)"
    )
    params += [
        _param("id", webhook_id),
        _param("status", WebhookStatus.PENDING.value),
        _param("rejected", False),
        _param("next_retry_at", now + _EARLY_CLAIM),
    ]
    if seen is not None:
        sql += " AND updated_at = %s"
        params.append(_param("updated_at", seen))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = cursor.rowcount
    return (until, now) if claimed else None


def _finish(
    webhook: Webhook, token: datetime, *, logs: Sequence[IntegrationLog] = (), **changes: Any
) -> bool:
    """Record the outcome only while the claim still holds; a worker whose lease was taken back
    by the sweeper must not overwrite the newer owner's work. ``logs`` (the attempt's outbound
    calls) are written whether or not it does: on PostgreSQL in the same statement, one round
    trip and one commit for both."""
    changes.setdefault("updated_at", timezone.now())
    assigned, params = assignments(Webhook, connection, changes)
    sql = f"UPDATE webhooks SET {assigned} WHERE id = %s AND status = %s AND locked_until = %s"  # noqa: S608
    params += [
        _param("id", webhook.pk),
        _param("status", WebhookStatus.PROCESSING.value),
        _param("locked_until", token),
    ]
    combined = bool(logs) and connection.vendor == "postgresql"
    if combined:
        # Data-modifying CTEs run to completion whether or not the UPDATE matches a row.
        inserts = [insert_statement(log, connection) for log in logs]
        ctes = ", ".join(f"logged_{n} AS ({insert})" for n, (insert, _) in enumerate(inserts))
        sql = f"WITH {ctes} {sql}"
        params = [value for _, values in inserts for value in values] + params
    else:
        for log in logs:
            log.save(force_insert=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        finished = cursor.rowcount
    if combined:
        for log in logs:
            mark_saved(log, connection)
    return bool(finished)


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
    found = _read(webhook_id)
    if found is None:
        return None
    webhook, integration = found
    with structlog.contextvars.bound_contextvars(
        webhook_id=str(webhook.pk), integration=integration.code if integration else None
    ):
        status = _claim_and_process(webhook, integration)
        if status is not None:
            events.info("webhook_processed", webhook_status=status, event_type=webhook.event_type)
        return status


def _claim_and_process(webhook: Webhook, integration: Integration | None) -> str | None:
    config = _config_of(integration)
    lease = config.lease_seconds
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
    # The outbound calls' log entries, written with the outcome, whichever it is.
    logs: list[IntegrationLog] = []
    try:
        with keeper:
            ignored_reason = _run(webhook, integration, config, logs)
    except Exception as error:
        return _record_failure(webhook, integration, config, keeper.token, error, logs)
    token = keeper.token
    status = WebhookStatus.IGNORED if ignored_reason else WebhookStatus.COMPLETED
    _finish(
        webhook,
        token,
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
            logs=logs,
            status=WebhookStatus.FAILED,
            locked_until=None,
            next_retry_at=None,
            error_message=f"{message} (gave up after {webhook.retry_count + 1} attempts)",
        )
        return WebhookStatus.FAILED
    retry_count = webhook.retry_count + 1
    delay = _retry_delay(config, retry_count)
    if _finish(
        webhook,
        token,
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
