"""Reads on webhooks."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

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
