"""Reads on webhooks."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from integrations.models import Integration
from webhooks.models import Webhook, WebhookAttempt


def webhook_list_for_retry(
    *, status: str, integration_code: str | None = None, since: datetime | None = None
) -> QuerySet[Webhook]:
    """The webhooks ``retry_webhooks`` considers, oldest first. The code matches live and deleted
    integrations alike: their webhooks stay readable, and retryable."""
    queryset = Webhook.objects.filter(status=status).order_by("created_at")
    if integration_code:
        queryset = queryset.filter(integration__code=integration_code)
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    return queryset


def webhook_attempt_list(*, webhook: Webhook) -> QuerySet[WebhookAttempt]:
    """The webhook's processing tries, oldest first (the ``(webhook, number)`` unique index)."""
    return WebhookAttempt.objects.filter(webhook=webhook).order_by("number")


def verification_secrets(integration: Integration) -> list[str]:
    """The current webhook secret, then the previous one while its overlap lasts."""
    return secrets_valid_at(
        timezone.now(),
        current=integration.webhook_secret,
        previous=integration.previous_webhook_secret,
        previous_expires_at=integration.previous_webhook_secret_expires_at,
    )


def secrets_valid_at(
    now: datetime,
    *,
    current: str | None,
    previous: str | None,
    previous_expires_at: datetime | None,
) -> list[str]:
    """``verification_secrets`` of these values (decrypted already) at ``now``."""
    found = [current] if current else []
    if previous and previous_expires_at is not None and previous_expires_at > now:
        found.append(previous)
    return found
