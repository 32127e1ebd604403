"""Reads on integrations: the live one behind a receive URL, the config as it is shown."""

from __future__ import annotations

from typing import Any

from integrations.models import EXPIRY_KEY, Integration
from integrations.redaction import mask_config


def integration_get_live(*, code: str) -> Integration | None:
    """The live integration with this code, or None (unknown or soft-deleted)."""
    return Integration.objects.filter(code=code).first()


def integration_config_shown(integration: Integration) -> dict[str, Any]:
    """``config`` as API clients and operators see it: secrets kept there masked, and the
    previous webhook secret's expiry where the contract puts it (its own column, in truth)."""
    shown: dict[str, Any] = mask_config(integration.config or {})
    expires_at = integration.previous_webhook_secret_expires_at
    if expires_at is not None:
        shown = {**shown, EXPIRY_KEY: expires_at.isoformat()}
    return shown
