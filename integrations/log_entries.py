"""IntegrationLog writes: one entry per call in or out, credentials redacted and payloads cut to
``INTEGRATION_LOG_MAX_BYTES``; and the purge of old entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.jsontext import json_storable
from integrations.models import Integration, IntegrationLog, LogDirection
from integrations.redaction import redact, redact_url_credentials, truncate_json
from integrations.retention import PurgeReport, delete_in_batches
from integrations.selectors import integration_secret_values


def integration_log_create(**fields: Any) -> IntegrationLog:
    """Write one log entry with credentials redacted and each payload cut to 64 KiB: the entry
    ``integration_log_build`` makes of the same keyword arguments, saved.

    ``secrets`` is the integration's ``integration_secret_values`` when the caller already has
    them (a receive, an HTTP client serving a whole sync), so they are not decrypted again.
    """
    log = integration_log_build(**fields)
    log.save(force_insert=True)
    return log


def integration_log_build(
    *,
    integration: Integration,
    action: str,
    direction: LogDirection | str,
    endpoint: str = "",
    request_data: Any = None,
    response_data: Any = None,
    status_code: int | None = None,
    duration_ms: int = 0,
    error_message: str | None = None,
    metadata: dict[str, Any] | None = None,
    secrets: list[str] | None = None,
) -> IntegrationLog:
    """The log entry ``integration_log_create`` writes, redacted and cut, not yet saved: for a
    caller that writes it in one statement with the row it records (the receive)."""
    if secrets is None:
        secrets = integration_secret_values(integration)

    def clean(data: Any) -> Any:
        return integration_log_data(data, secrets=secrets)

    return IntegrationLog(
        integration=integration,
        action=action,
        direction=direction,
        endpoint=integration_log_endpoint(endpoint, secrets=secrets),
        request_data=clean(request_data),
        response_data=clean(response_data),
        status_code=status_code,
        duration_ms=max(0, int(duration_ms)),
        error_message=json_storable(redact_url_credentials(redact(error_message, secrets=secrets)))
        if error_message
        else None,
        metadata=clean(metadata or {}),
    )


def integration_log_endpoint(endpoint: str | None, *, secrets: list[str]) -> str:
    """A log entry's ``endpoint`` as it is stored: storable, redacted, cut to the column."""
    return str(json_storable(redact_url_credentials(redact(endpoint or "", secrets=secrets))))[
        :2048
    ]


def integration_log_data(data: Any, *, secrets: list[str]) -> Any:
    """A log entry's JSON column as it is stored: storable, redacted, cut to
    ``INTEGRATION_LOG_MAX_BYTES``."""
    data = json_storable(data if data is not None else {})
    return truncate_json(redact(data, secrets=secrets), limit=settings.INTEGRATION_LOG_MAX_BYTES)


def integration_log_purge(
    *, older_than_days: int | None = None, batch_size: int = 1000, dry_run: bool = False
) -> PurgeReport:
    """Delete integration logs older than ``older_than_days`` (``RETENTION_LOG_DAYS``)."""
    days = settings.RETENTION_LOG_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    return delete_in_batches(
        IntegrationLog.objects.filter(created_at__lt=cutoff), batch_size=batch_size, dry_run=dry_run
    )
