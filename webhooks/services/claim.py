"""The claim: the conditional UPDATE that takes a pending, due, not refused webhook for one worker
with a lease (the claim's token, in ``locked_until``), read back with its integration in the same
statement on PostgreSQL; and the re-let that sets the lease to the integration's own when it
differs from the one the claim was written with.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from integrations.config import DEFAULT_LEASE_SECONDS, IntegrationConfig
from integrations.models import Integration
from webhooks.models import Webhook, WebhookStatus
from webhooks.services._statements import RowReader, assignments, param
from webhooks.services.tunables import EARLY_CLAIM


def config_of(integration: Integration | None) -> IntegrationConfig:
    """The integration's typed config, or the defaults for a webhook without one."""
    return integration.typed_config if integration is not None else IntegrationConfig()


_WEBHOOK = RowReader(Webhook, "w")
_INTEGRATION = RowReader(Integration, "i")


def _param(name: str, value: Any) -> Any:
    return param(Webhook, name, value, connection)


# The lease a claim is first written with: the one this process used last (most integrations
# share the default). The claim cannot know the integration's own before it has the row; when
# it differs, the lease is set right at once (``webhook_claim``), before any work starts.
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


def webhook_claim(
    webhook_id: Any,
) -> tuple[Webhook, Integration | None, IntegrationConfig] | None:
    """Take the webhook if it is pending and due, with its lease (the claim's token, in
    ``webhook.locked_until``) as the integration's config sets it."""
    global _provisional_lease
    taken = _take(webhook_id, lease=_provisional_lease)
    if taken is None:
        return None
    webhook, integration = taken
    config = config_of(integration)
    if config.lease_seconds != _provisional_lease:
        _provisional_lease = config.lease_seconds
        if _relet(webhook, lease=config.lease_seconds) is None:
            return None
    return webhook, integration, config
