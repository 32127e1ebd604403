"""The backlog alert: webhooks left ``pending`` for more than five minutes (CONTRACT "Alerts").

A webhook waits from its receipt, or from the time its next retry was due; one that waits longer
than ``BACKLOG_AFTER`` means the workers do not keep up (or do not run). Per integration, the
backlog is a condition: alerted when it begins (with how many webhooks wait), again only after
it cleared.
"""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.alerts import condition_record
from integrations.alerts.services import BACKLOG_AFTER
from integrations.models import AlertCondition, AlertEvent, Integration
from webhooks.models import Webhook, WebhookStatus

_KEY = "backlog:"


def webhook_backlog_check() -> dict[str, int]:
    """One look (beat, every minute): ``{integration code: webhooks waiting}`` of the backlogs
    that are there now; each one that begins is alerted."""
    cutoff = timezone.now() - BACKLOG_AFTER
    waiting = dict(
        Webhook.objects.filter(status=WebhookStatus.PENDING, rejected=False)
        .annotate(waiting_since=Coalesce("next_retry_at", "created_at"))
        .filter(waiting_since__lt=cutoff)
        .values("integration_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("integration_id", "count")
    )
    found: dict[str, int] = {}
    integrations = Integration.all_objects.in_bulk([pk for pk in waiting if pk is not None])
    for integration_id, count in waiting.items():
        integration = integrations.get(integration_id)
        condition_record(
            key=f"{_KEY}{integration_id or '-'}",
            active=True,
            event=AlertEvent.BACKLOG.value,
            integration=integration,
            detail=f"{count} webhooks wait in pending for more than 5 minutes",
            count=count,
        )
        found[integration.code if integration else "-"] = count
    live = {f"{_KEY}{pk or '-'}" for pk in waiting}
    for key in AlertCondition.objects.filter(key__startswith=_KEY, active=True).values_list(
        "key", flat=True
    ):
        if key not in live:
            condition_record(key=key, active=False, event=AlertEvent.BACKLOG.value)
    return found
