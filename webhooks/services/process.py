"""Processing: claim a pending webhook, run its handlers and forward under a lease, and record the
outcome, or the failure with its next retry, only while the claim still holds, together with the
try's ``WebhookAttempt`` row.
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
from django.db import connection, transaction
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.config import DEFAULT_LEASE_SECONDS, IntegrationConfig
from integrations.models import Integration, IntegrationLog
from integrations.redaction import redact
from integrations.services import integration_secret_values
from webhooks.forwarding import ForwardError, webhook_forward
from webhooks.handlers import handlers_for
from webhooks.lease import LeaseKeeper
from webhooks.models import AttemptOutcome, Webhook, WebhookAttempt, WebhookStatus
from webhooks.services._statements import (
    RowReader,
    assignments,
    insert_from_statement,
    insert_statement,
    mark_saved,
    param,
)
from webhooks.services.enqueue import webhook_enqueue
from webhooks.services.tunables import EARLY_CLAIM, MAX_RETRY_DELAY_SECONDS, gave_up_after

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


# The lease a claim is first written with: the one this process used last (most integrations
# share the default). The claim cannot know the integration's own before it has the row; when
# it differs, the lease is set right at once (``_claim``), before any work starts.
_provisional_lease = DEFAULT_LEASE_SECONDS


def _claim_statement(webhook_id: Any, *, lease: float) -> tuple[str, list[Any]]:
    """The UPDATE that takes the webhook if it is pending, not refused and due, with a lease
    (the claim's token) of ``lease`` seconds from now."""
    now = timezone.now()
    changes, params = assignments(
        Webhook,
        connection,
        {
            "status": WebhookStatus.PROCESSING.value,
            "locked_until": now + timedelta(seconds=lease),
            "updated_at": now,
        },
    )
    params += [
        _param("id", webhook_id),
        _param("status", WebhookStatus.PENDING.value),
        _param("rejected", False),
        _param("next_retry_at", now + EARLY_CLAIM),
    ]
    sql = (
        f"UPDATE webhooks SET {changes} WHERE id = %s AND status = %s AND rejected = %s "  # noqa: S608
        "AND (next_retry_at IS NULL OR next_retry_at <= %s)"
    )
    return sql, params


def _claimed_row(sql: str, params: list[Any]) -> tuple[Webhook, Integration | None] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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


def _take(webhook_id: Any, *, lease: float) -> tuple[Webhook, Integration | None] | None:
    """Claim the webhook if it is pending and due, and read it as claimed with its
    integration: on PostgreSQL one statement (an UPDATE … RETURNING joined with the
    integration), elsewhere the claim and then the read."""
    update, params = _claim_statement(webhook_id, lease=lease)
    columns = f"{_WEBHOOK.columns(connection)}, {_INTEGRATION.columns(connection)}"
    join = "LEFT JOIN integrations i ON i.id = w.integration_id"
    if connection.vendor == "postgresql":
        return _claimed_row(
            f"WITH w AS ({update} RETURNING *) SELECT {columns} FROM w {join}",  # noqa: S608
            params,
        )
    with connection.cursor() as cursor:
        cursor.execute(update, params)
        if not cursor.rowcount:
            return None
    return _claimed_row(
        f"SELECT {columns} FROM webhooks w {join} WHERE w.id = %s",  # noqa: S608
        [_param("id", webhook_id)],
    )


def _relet(webhook: Webhook, *, lease: float) -> datetime | None:
    """Set the lease of a webhook this worker holds to ``lease`` from now: the new token, or
    None when the claim is no longer this worker's."""
    token = webhook.locked_until
    until = timezone.now() + timedelta(seconds=lease)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE webhooks SET locked_until = %s WHERE id = %s AND status = %s "
            "AND locked_until = %s",
            [
                _param("locked_until", until),
                _param("id", webhook.pk),
                _param("status", WebhookStatus.PROCESSING.value),
                _param("locked_until", token),
            ],
        )
        if not cursor.rowcount:
            return None
    webhook.locked_until = until
    return until


def _claim(webhook_id: Any) -> tuple[Webhook, Integration | None, IntegrationConfig] | None:
    """Take the webhook if it is pending and due, with its lease (the claim's token, in
    ``webhook.locked_until``) as the integration's config sets it."""
    global _provisional_lease
    taken = _take(webhook_id, lease=_provisional_lease)
    if taken is None:
        return None
    webhook, integration = taken
    config = _config_of(integration)
    if config.lease_seconds != _provisional_lease:
        _provisional_lease = config.lease_seconds
        if _relet(webhook, lease=config.lease_seconds) is None:
            return None
    return webhook, integration, config


def _finish(
    webhook: Webhook,
    token: datetime,
    *,
    attempt: WebhookAttempt,
    logs: Sequence[IntegrationLog] = (),
    **changes: Any,
) -> bool:
    """Record the outcome and the try's ``attempt`` row only while the claim still holds; a
    worker whose lease was taken back by the sweeper must not overwrite the newer owner's work
    (the sweeper recorded that try as lost). ``logs`` (the try's outbound calls) are written
    whether or not it does. On PostgreSQL all of it is one statement: one round trip, one
    commit, and the attempt row exists exactly when the status changed."""
    changes.setdefault("updated_at", timezone.now())
    changes["attempt_count"] = attempt.number
    assigned, params = assignments(Webhook, connection, changes)
    sql = f"UPDATE webhooks SET {assigned} WHERE id = %s AND status = %s AND locked_until = %s"  # noqa: S608
    params += [
        _param("id", webhook.pk),
        _param("status", WebhookStatus.PROCESSING.value),
        _param("locked_until", token),
    ]
    if connection.vendor != "postgresql":
        with transaction.atomic():
            for log in logs:
                log.save(force_insert=True)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                finished = bool(cursor.rowcount)
            if finished:
                attempt.save(force_insert=True)
        return finished
    # Data-modifying CTEs run to completion whether or not the UPDATE matches a row; the
    # attempt is inserted once per row it updated, so not at all when the claim was lost.
    inserts = [insert_statement(log, connection) for log in logs]
    ctes = [f"logged_{n} AS ({insert})" for n, (insert, _) in enumerate(inserts)]
    ctes.append(f"finished AS ({sql} RETURNING 1)")
    attempt_insert, attempt_params = insert_from_statement(attempt, connection, source="finished")
    statement = f"WITH {', '.join(ctes)} {attempt_insert}"
    values = [value for _, log_values in inserts for value in log_values]
    values += params + attempt_params
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        finished = bool(cursor.rowcount)
    for log in logs:
        mark_saved(log, connection)
    if finished:
        mark_saved(attempt, connection)
    return finished


def _attempt(
    webhook: Webhook,
    *,
    started_at: datetime,
    started: float,
    logs: Sequence[IntegrationLog],
    error: str | None = None,
) -> WebhookAttempt:
    """The row of this try: numbered after the webhook's earlier ones (``attempt_count`` as
    claimed, so no query), with the forward's answer and log when it forwarded."""
    forward = next((log for log in reversed(logs) if log.action == "webhook_forward"), None)
    return WebhookAttempt(
        webhook_id=webhook.pk,
        number=webhook.attempt_count + 1,
        started_at=started_at,
        duration_ms=max(0, round((time.monotonic() - started) * 1000)),
        status_code=forward.status_code if forward is not None else None,
        outcome=AttemptOutcome.FAILURE if error is not None else AttemptOutcome.SUCCESS,
        error=error,
        integration_log_id=forward.pk if forward is not None else None,
    )


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
    claimed = _claim(webhook_id)
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
    _finish(
        webhook,
        keeper.token,
        # Nothing to do is not a failed try: the reason is the webhook's error_message.
        attempt=_attempt(webhook, started_at=started_at, started=started, logs=logs),
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
    attempt = _attempt(webhook, started_at=started_at, started=started, logs=logs, error=message)
    if webhook.retry_count >= webhook.max_retries:
        error_message = f"{message} ({gave_up_after(attempt.number)})"
        with transaction.atomic():
            if _finish(
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
    if _finish(
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
