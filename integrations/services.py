"""Writes on integrations and their logs. Views, admin actions, commands and tasks call these."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.crypto import Ciphertext, DecryptionError, keyring
from integrations.jsontext import json_storable
from integrations.models import (
    DUPLICATE_CODE,
    EXPIRY_KEY,
    SECRET_FIELDS,
    SYSTEM_ACTOR,
    Integration,
    IntegrationLog,
    IntegrationStatus,
    LogDirection,
    SecretChange,
    SecretChangeAction,
)
from integrations.redaction import redact, redact_url_credentials, truncate_json
from integrations.retention import PurgeReport, delete_in_batches

logger = logging.getLogger(__name__)


def _take_expiry_from_config(integration: Integration) -> None:
    """``config.previous_webhook_secret_expires_at``, where API clients see and write it, is kept
    in its own column; an offset-less time is UTC. A value that is no date is a 400."""
    config = integration.config
    if not isinstance(config, dict) or EXPIRY_KEY not in config:
        return
    config = dict(config)
    raw = config.pop(EXPIRY_KEY)
    integration.config = config
    if raw in (None, ""):
        integration.previous_webhook_secret_expires_at = None
        return
    try:
        moment = parse_datetime(str(raw))
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError(
            {"config": [f"config.{EXPIRY_KEY} must be an ISO 8601 date and time"]}
        )
    integration.previous_webhook_secret_expires_at = (
        timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment
    )


def _save(integration: Integration) -> None:
    """Save a validated integration (the rules are the model's: ``Integration.clean`` and the
    fields' validators); a code taken by a concurrent write since the check is the same 400."""
    try:
        with transaction.atomic():
            integration.save()
    except IntegrityError as error:
        if "integrations_code_unique_live" in str(error):
            raise ValidationError({"code": [DUPLICATE_CODE]}) from None
        raise


def _applied(integration: Integration | None, data: dict[str, Any]) -> Integration:
    """The integration as ``data`` would leave it (not saved). A secret absent from ``data`` is
    kept; ``None`` or ``""`` clears it. A ``webhook_secret`` in ``data`` replaces the secret with
    no overlap: a previous secret still verifying after a rotation stops too (only the rotation
    keeps an old secret valid). ``webhook_url`` follows a new ``code`` while it was the default,
    and an emptied one goes back to the default: it always says where the integration receives."""
    target = copy.copy(integration) if integration is not None else Integration()
    old_default_url = target.default_webhook_url if integration is not None else None
    for name, value in data.items():
        setattr(target, name, None if name in SECRET_FIELDS and value == "" else value)
    if integration is not None and "webhook_secret" in data:
        target.previous_webhook_secret = None
        target.previous_webhook_secret_expires_at = None
    if not target.webhook_url or (
        "webhook_url" not in data and target.webhook_url == old_default_url
    ):
        target.webhook_url = target.default_webhook_url
    _take_expiry_from_config(target)
    target.full_clean(validate_constraints=False)
    return target


def integration_validate(*, integration: Integration | None, data: dict[str, Any]) -> None:
    """Check ``data`` as ``integration_create`` (no integration) or ``integration_update`` would,
    without writing: a form reports the errors before anything is saved."""
    _applied(integration, data)


_UNREADABLE = object()


def _stored_plaintext(integration: Integration | None, name: str) -> object:
    """The secret as stored (None when unset); ``_UNREADABLE`` when it does not decrypt."""
    if integration is None:
        return None
    try:
        return getattr(integration, name) or None
    except DecryptionError:
        return _UNREADABLE


def _secret_changes(
    integration: Integration | None, data: dict[str, Any]
) -> list[tuple[str, SecretChangeAction]]:
    """Which secrets ``data`` changes and how; a secret sent again unchanged is no change."""
    changes: list[tuple[str, SecretChangeAction]] = []
    for name in SECRET_FIELDS:
        if name not in data:
            continue
        new = data[name] or None
        old = _stored_plaintext(integration, name)
        if old == new:
            continue
        if new is None:
            changes.append((name, SecretChangeAction.CLEARED))
        elif old is None:
            changes.append((name, SecretChangeAction.SET))
        else:
            changes.append((name, SecretChangeAction.CHANGED))
    if (
        integration is not None
        and "webhook_secret" in data
        and integration.has_secret("previous_webhook_secret")
    ):
        # A plain update ends a rotation's overlap: the previous secret stops verifying.
        changes.append(("previous_webhook_secret", SecretChangeAction.CLEARED))
    return changes


def secret_changes_record(
    *,
    integration: Integration,
    changes: list[tuple[str, SecretChangeAction]],
    actor: str = SYSTEM_ACTOR,
) -> list[SecretChange]:
    """Record who changed which secrets of ``integration`` (never the values); the changes of
    one write share one time."""
    now = timezone.now()
    return SecretChange.objects.bulk_create(
        SecretChange(
            integration=integration, field=name, action=action, actor=actor[:255], changed_at=now
        )
        for name, action in changes
    )


def integration_create(*, data: dict[str, Any], actor: str = SYSTEM_ACTOR) -> Integration:
    """Create an integration; ``data`` holds model fields, secrets in plaintext (``""`` is none).
    Raises ValidationError naming each field in error. The secrets set are recorded as set by
    ``actor`` ("user <name>", "api key <name>")."""
    integration = _applied(None, data)
    with transaction.atomic():
        _save(integration)
        secret_changes_record(
            integration=integration, changes=_secret_changes(None, data), actor=actor
        )
    return integration


def integration_update(
    *, integration: Integration, data: dict[str, Any], actor: str = SYSTEM_ACTOR
) -> Integration:
    """Apply ``data`` (see ``_applied``); raises ValidationError naming each field in error.
    Each secret changed is recorded with ``actor``."""
    changes = _secret_changes(integration, data)
    status_before = integration.status
    updated = _applied(integration, data)
    with transaction.atomic():
        _save(updated)
        secret_changes_record(integration=updated, changes=changes, actor=actor)
        _alert_status_change(updated, before=status_before)
    integration.__dict__.update(updated.__dict__)
    return integration


def _alert_status_change(integration: Integration, *, before: str) -> None:
    """An integration turned ``error`` is failing; turned from ``error`` to ``active`` it has
    recovered (CONTRACT "Alerts")."""
    from integrations.alerts import alert_record

    if integration.status == before:
        return
    if integration.status == IntegrationStatus.ERROR:
        alert_record(
            event="integration.failing", integration=integration, detail="status set to error"
        )
    elif before == IntegrationStatus.ERROR and integration.status == IntegrationStatus.ACTIVE:
        alert_record(
            event="integration.recovered",
            integration=integration,
            detail="status set from error to active",
        )


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


def api_key_create(*, name: str, expires_in_days: int | None = None) -> tuple[Any, str]:
    """A new API key (stored hashed) and its plaintext, which is never retrievable again."""

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
