"""A processing try's record: the ``WebhookAttempt`` row built for it, and the outcome written
with that row and the try's outbound calls' logs, only while the worker's claim still holds (one
statement on PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from integrations.models import IntegrationLog
from webhooks.models import AttemptOutcome, Webhook, WebhookAttempt, WebhookStatus
from webhooks.services._statements import (
    assignments,
    insert_from_statement,
    insert_statement,
    mark_saved,
    param,
)


def _param(name: str, value: Any) -> Any:
    return param(Webhook, name, value, connection)


def webhook_finish(
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


def webhook_attempt_build(
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
