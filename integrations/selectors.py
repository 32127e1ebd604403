"""Reads on integrations: the live one behind a receive URL, the config as it is shown."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from integrations.crypto import DecryptionError
from integrations.models import EXPIRY_KEY, SECRET_FIELDS, Alert, AlertStatus, Integration
from integrations.redaction import mask_config


def integration_get_live(*, code: str) -> Integration | None:
    """The live integration with this code, or None (unknown or soft-deleted)."""
    return Integration.objects.filter(code=code).first()


def integration_get_live_versioned(*, code: str) -> tuple[Integration | None, str | None]:
    """``integration_get_live`` with the row's version: PostgreSQL's ``xmin``, which every
    UPDATE of the row changes (whatever it changes, through the ORM or not). None on other
    databases. A reader that keeps the integration can later check in its own statement that
    the row is still the one it read (see ``webhooks.kept_integrations``)."""
    if connection.vendor != "postgresql":
        return integration_get_live(code=code), None
    table = connection.ops.quote_name(Integration._meta.db_table)
    found = (
        Integration.objects.filter(code=code)
        .annotate(row_version=RawSQL(f"{table}.xmin::text", ()))  # noqa: S611 (a model constant)
        .first()
    )
    if found is None:
        return None, None
    return found, str(found.row_version)


def integration_config_shown(integration: Integration) -> dict[str, Any]:
    """``config`` as API clients and operators see it: secrets kept there masked, and the
    previous webhook secret's expiry where the contract puts it (its own column, in truth)."""
    shown: dict[str, Any] = mask_config(integration.config or {})
    expires_at = integration.previous_webhook_secret_expires_at
    if expires_at is not None:
        shown = {**shown, EXPIRY_KEY: expires_at.isoformat()}
    return shown


# CONTRACT "Alerts": an alert's status is "sent" or "failed". The table also holds alerts still
# gathering their count or waiting for their first try (pending/sending, attempts 0): they are
# not yet something operators were told, so the API does not list them. An alert whose channel
# failed and that waits for another try shows "failed" with the reason at once (its failure is
# recorded, not hidden behind the retries), and turns "sent" if a later try gets through.
_UNTRIED = Q(status__in=(AlertStatus.PENDING, AlertStatus.SENDING), attempts=0)
ALERT_API_STATUSES = (AlertStatus.SENT.value, AlertStatus.FAILED.value)


def alert_list_told() -> QuerySet[Alert]:
    """The alerts the API shows: tried at least once (sent, failed, or failed and retrying)."""
    return Alert.objects.exclude(_UNTRIED)


def alert_filter_status(queryset: QuerySet[Alert], status: str) -> QuerySet[Alert]:
    """``?status=`` on ``alert_list_told``: "sent", or "failed" for every other tried alert."""
    if status == AlertStatus.SENT:
        return queryset.filter(status=AlertStatus.SENT)
    return queryset.exclude(status=AlertStatus.SENT)


def alert_status_shown(alert: Alert) -> str:
    """The contract's status of a tried alert: "sent", else "failed" (retrying included)."""
    return AlertStatus.SENT.value if alert.status == AlertStatus.SENT else AlertStatus.FAILED.value


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
