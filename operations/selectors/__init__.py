"""What the dashboard shows, read with a fixed number of bounded queries.

Every read is either an aggregate over a time window served by an index on ``created_at``
(webhooks of the last 24 hours, payments of the day), a short list read off the head of an index
(failed webhooks newest first, active sync jobs), or one row per live integration with its latest
webhook and sync job taken from the ``(integration, -created_at)`` indexes. None of them grows
with the size of the tables, so the page stays fast with millions of webhooks.

One module per part of the page, re-exported here: ``health`` (the integrations),
``webhook_traffic`` (the hourly charts), ``failed_webhooks``, ``sync_jobs``, ``payments_today``,
and ``dashboard``, which reads them all.
"""

from operations.selectors.dashboard import Dashboard, alert_latest_list, dashboard_get
from operations.selectors.failed_webhooks import (
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
from operations.selectors.sync_jobs import sync_job_progress, sync_job_progress_list
from operations.selectors.webhook_traffic import HourBucket, WebhookSeries, webhook_hourly_series

__all__ = [
    "Dashboard",
    "FailedWebhookGroup",
    "HourBucket",
    "IntegrationHealth",
    "PaymentLine",
    "WebhookSeries",
    "alert_latest_list",
    "dashboard_get",
    "failed_webhook_count",
    "failed_webhook_groups",
    "integration_health_list",
    "payments_of_the_day",
    "sales_not_fiscalized_counts",
    "sync_job_progress",
    "sync_job_progress_list",
    "webhook_hourly_series",
]
