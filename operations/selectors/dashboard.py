"""The dashboard as one read: every section's selector called once, and the latest alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from integrations.models import Alert
from operations.selectors.failed_webhooks import (
    FAILED_COUNT_CAP,
    FailedWebhookGroup,
    failed_webhook_count,
    failed_webhook_groups,
)
from operations.selectors.health import IntegrationHealth, integration_health_list
from operations.selectors.payments_today import (
    PaymentLine,
    payments_of_the_day,
    sales_not_fiscalized_counts,
)
from operations.selectors.sync_jobs import sync_job_progress_list
from operations.selectors.webhook_traffic import WebhookSeries, webhook_hourly_series

ALERTS_SHOWN = 10


@dataclass
class Dashboard:
    now: datetime
    integrations: list[IntegrationHealth]
    overall: WebhookSeries
    per_integration: list[WebhookSeries]
    payments: list[PaymentLine]
    failed_webhook_count: int
    failed_groups: list[FailedWebhookGroup]
    jobs: list[dict[str, Any]]
    failing_integrations: list[IntegrationHealth] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    failed_count_cap: int = FAILED_COUNT_CAP
    # Sale receipts not registered yet (pending, submitted or failed), and the failed ones.
    sales_not_fiscalized: int = 0
    fiscal_failed: int = 0


def dashboard_get(*, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    integrations = integration_health_list()
    overall, per_integration = webhook_hourly_series(now=now)
    return Dashboard(
        now=now,
        integrations=integrations,
        overall=overall,
        per_integration=per_integration,
        payments=payments_of_the_day(now=now),
        failed_webhook_count=failed_webhook_count(),
        failed_groups=failed_webhook_groups(),
        jobs=sync_job_progress_list(now=now),
        failing_integrations=[item for item in integrations if item.health == "failing"],
        **sales_not_fiscalized_counts(),
        alerts=alert_latest_list(),
    )


def alert_latest_list(*, limit: int = ALERTS_SHOWN) -> list[Alert]:
    """The latest alerts, newest first (read off the ``created_at`` index)."""
    return list(
        Alert.objects.select_related("channel", "integration").order_by("-created_at")[:limit]
    )
