"""Reads on webhooks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from webhooks.filters import WebhookFilter
from webhooks.models import Webhook


def webhook_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Webhook]:
    return WebhookFilter(filters or {}, queryset=Webhook.objects.all()).qs
