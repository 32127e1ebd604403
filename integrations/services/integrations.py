"""Writes on integrations: create, update, validate and soft-delete, each through the model's
rules (``Integration.clean``), recording the secrets changed and alerting on a status change."""

from __future__ import annotations

import copy
from datetime import UTC
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.models import (
    DUPLICATE_CODE,
    EXPIRY_KEY,
    SECRET_FIELDS,
    SYSTEM_ACTOR,
    Integration,
    IntegrationStatus,
)
from integrations.services.secrets import secret_changes_compute, secret_changes_record


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


def integration_create(*, data: dict[str, Any], actor: str = SYSTEM_ACTOR) -> Integration:
    """Create an integration; ``data`` holds model fields, secrets in plaintext (``""`` is none).
    Raises ValidationError naming each field in error. The secrets set are recorded as set by
    ``actor`` ("user <name>", "api key <name>")."""
    integration = _applied(None, data)
    with transaction.atomic():
        _save(integration)
        secret_changes_record(
            integration=integration,
            changes=secret_changes_compute(integration=None, data=data),
            actor=actor,
        )
    return integration


def integration_update(
    *, integration: Integration, data: dict[str, Any], actor: str = SYSTEM_ACTOR
) -> Integration:
    """Apply ``data`` (see ``_applied``); raises ValidationError naming each field in error.
    Each secret changed is recorded with ``actor``."""
    changes = secret_changes_compute(integration=integration, data=data)
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
