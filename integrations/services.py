"""Writes on integrations and their logs. Views, admin actions, commands and tasks call these."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.crypto import Ciphertext, DecryptionError, keyring
from integrations.models import (
    SECRET_FIELDS,
    Integration,
    IntegrationLog,
    LogDirection,
    json_storable,
)
from integrations.redaction import redact, truncate_json

logger = logging.getLogger(__name__)

_DUPLICATE_CODE = "An integration with this code already exists."


def _save_or_report_duplicate(integration: Integration) -> None:
    try:
        with transaction.atomic():
            integration.save()
    except IntegrityError as error:
        if "integrations_code_unique_live" in str(error):
            raise ValidationError({"code": [_DUPLICATE_CODE]}) from None
        raise


def integration_create(*, data: dict[str, Any]) -> Integration:
    """Create an integration; ``data`` holds model fields, secrets in plaintext."""
    integration = Integration(**data)
    if not integration.webhook_url:
        integration.webhook_url = integration.default_webhook_url
    _save_or_report_duplicate(integration)
    return integration


def integration_update(*, integration: Integration, data: dict[str, Any]) -> Integration:
    """Apply ``data``. A secret absent from it is kept; ``None`` or ``""`` clears it.

    A ``webhook_secret`` in ``data`` replaces the secret with no overlap: a previous secret still
    verifying after a rotation stops too (only the rotation keeps an old secret valid).
    ``webhook_url`` follows a new ``code`` while it was the default, and an emptied one goes back
    to the default: it always says where the integration receives.
    """
    old_default_url = integration.default_webhook_url
    for name, value in data.items():
        if name in SECRET_FIELDS and value == "":
            value = None
        setattr(integration, name, value)
    if "webhook_secret" in data:
        integration.previous_webhook_secret = None
        integration.config = {
            key: value
            for key, value in (integration.config or {}).items()
            if key != "previous_webhook_secret_expires_at"
        }
    if not integration.webhook_url or (
        "webhook_url" not in data and integration.webhook_url == old_default_url
    ):
        integration.webhook_url = integration.default_webhook_url
    _save_or_report_duplicate(integration)
    return integration


def integration_delete(*, integration: Integration) -> None:
    """Soft delete: the integration leaves lists and its receive URL; its history stays readable."""
    Integration.all_objects.filter(pk=integration.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), updated_at=timezone.now()
    )
    integration.refresh_from_db()


def integration_secret_values(integration: Integration) -> list[str]:
    """The plaintext credentials of an integration, for scrubbing them out of logs."""
    values: list[str] = []
    for name in (*SECRET_FIELDS, "previous_webhook_secret"):
        try:
            value = getattr(integration, name)
        except DecryptionError:
            continue
        if value:
            values.append(value)
    return values


def integration_log_create(
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
    """Write one log entry with credentials redacted and each payload cut to 64 KiB.

    ``secrets`` is the integration's ``integration_secret_values`` when the caller already has
    them (a receive, an HTTP client serving a whole sync), so they are not decrypted again.
    """
    if secrets is None:
        secrets = integration_secret_values(integration)
    limit = settings.INTEGRATION_LOG_MAX_BYTES

    def clean(data: Any) -> Any:
        data = json_storable(data if data is not None else {})
        return truncate_json(redact(data, secrets=secrets), limit=limit)

    return IntegrationLog.objects.create(
        integration=integration,
        action=action,
        direction=direction,
        endpoint=json_storable(redact(endpoint or "", secrets=secrets))[:2048],
        request_data=clean(request_data),
        response_data=clean(response_data),
        status_code=status_code,
        duration_ms=max(0, int(duration_ms)),
        error_message=json_storable(redact(error_message, secrets=secrets))
        if error_message
        else None,
        metadata=clean(metadata or {}),
    )


def api_key_create(*, name: str, expires_in_days: int | None = None) -> tuple[Any, str]:
    """A new API key (stored hashed) and its plaintext, which is never retrievable again."""
    from datetime import timedelta

    from rest_framework_api_key.models import APIKey

    expiry = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    return APIKey.objects.create_key(name=name, expiry_date=expiry)


@dataclass
class ReencryptReport:
    rows: int = 0
    values_reencrypted: int = 0
    values_current: int = 0


def secrets_reencrypt(
    *, dry_run: bool = False, batch_size: int = 200, progress: Callable[[str], Any] | None = None
) -> ReencryptReport:
    """Re-encrypt every secret not on the primary key; each batch in one transaction.

    A value that does not decrypt stops the run with DecryptionError: re-encrypting around it
    would hide a tampered row or a missing key.
    """
    ring = keyring()
    report = ReencryptReport()
    names = (*SECRET_FIELDS, "previous_webhook_secret")
    queryset = Integration.all_objects.order_by("pk")
    last_pk = None
    while True:
        page = queryset.filter(pk__gt=last_pk) if last_pk else queryset
        with transaction.atomic():
            rows = list(page.select_for_update()[:batch_size])
            if not rows:
                break
            for integration in rows:
                report.rows += 1
                changed: dict[str, str] = {}
                for name in names:
                    stored = integration.__dict__.get(name)
                    if not isinstance(stored, Ciphertext):
                        continue
                    if stored.key_id == ring.primary_id:
                        report.values_current += 1
                        continue
                    changed[name] = getattr(integration, name)  # decrypts, or raises
                if changed and not dry_run:
                    Integration.all_objects.filter(pk=integration.pk).update(**changed)
                report.values_reencrypted += len(changed)
            last_pk = rows[-1].pk
        if progress:
            progress(f"{report.rows} integration(s) done")
    return report
