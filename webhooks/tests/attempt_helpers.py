"""Helpers the attempt tests share: a webhook that forwards, skipping its backoff, its attempt rows
in order, and a URL nobody answers."""

from __future__ import annotations

import socket

from django.utils import timezone

from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookAttempt
from webhooks.tests.factories import WebhookFactory


def forwarded_webhook(url: str, *, retry_attempts: int = 3, **fields) -> Webhook:
    integration = IntegrationFactory(
        provider="erp", config={"forward_url": url, "retry_attempts": retry_attempts}
    )
    return WebhookFactory(integration=integration, max_retries=retry_attempts, **fields)


def make_due(webhook: Webhook) -> None:
    """Skip the backoff: the next try is due now."""
    Webhook.objects.filter(pk=webhook.pk).update(next_retry_at=timezone.now())


def attempts_of(webhook: Webhook) -> list[WebhookAttempt]:
    return list(WebhookAttempt.objects.filter(webhook=webhook).order_by("number"))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
