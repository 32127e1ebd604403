"""The text of an alert: what happened in words, to which integration, how many times since
when, the latest detail and a link into the admin."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from integrations.models import Alert, AlertEvent, Integration


def _event_phrase(event: str, count: int) -> str:
    many = count != 1
    phrases = {
        AlertEvent.WEBHOOK_FAILED: f"{count} webhook{'s' if many else ''} reached failed",
        AlertEvent.SYNC_JOB_FAILED: f"{count} sync job{'s' if many else ''} failed",
        AlertEvent.INTEGRATION_FAILING: (
            f"the integration is failing ({count} failure{'s' if many else ''})"
        ),
        AlertEvent.INTEGRATION_RECOVERED: "the integration recovered",
        AlertEvent.FISCAL_RECEIPT_FAILED: f"{count} fiscal receipt{'s' if many else ''} failed",
        AlertEvent.WORKER_DOWN: "no Celery worker heartbeat for more than 2 minutes",
        AlertEvent.BEAT_DOWN: "no beat heartbeat for more than 2 minutes",
        AlertEvent.BACKLOG: (
            f"{count} webhook{'s' if many else ''} pending for more than 5 minutes"
        ),
    }
    return phrases.get(AlertEvent(event), event)


def _admin_link(alert: Alert) -> str:
    """Where in the admin the operator looks: the failed webhooks or jobs of the integration,
    the integration itself, or the dashboard."""
    base: str = settings.HUB_PUBLIC_URL
    integration_id = alert.integration_id
    try:
        if alert.event in (AlertEvent.WEBHOOK_FAILED, AlertEvent.BACKLOG):
            status = "failed" if alert.event == AlertEvent.WEBHOOK_FAILED else "pending"
            query = f"?status__exact={status}"
            if integration_id:
                query += f"&integration__id__exact={integration_id}"
            return base + reverse("admin:webhooks_webhook_changelist") + query
        if alert.event == AlertEvent.SYNC_JOB_FAILED and integration_id:
            return (
                base
                + reverse("admin:syncjobs_syncjob_changelist")
                + f"?status__exact=failed&integration__id__exact={integration_id}"
            )
        if integration_id:
            return base + reverse("admin:integrations_integration_change", args=[integration_id])
        return base + reverse("admin:index")
    except NoReverseMatch:
        return base + "/admin/"


def alert_message(alert: Alert, integration: Integration | None) -> tuple[str, str]:
    """(subject, text) of an alert: the event, the integration, the count, the latest detail
    and a link into the admin."""
    if integration is not None:
        who = f"{integration.name} ({integration.code})"
        short = integration.code
    else:
        who = "the hub itself"
        short = "hub"
    since = timezone.localtime(alert.first_event_at, timezone.get_fixed_timezone(0))
    lines = [
        f"VendHub alert: {alert.event}",
        f"Integration: {who}",
        f"Count: {alert.count} since {since:%Y-%m-%d %H:%M:%S} UTC",
        f"What happened: {_event_phrase(alert.event, alert.count)}.",
    ]
    if alert.detail:
        lines.append(f"Latest: {alert.detail}")
    lines.append(f"Admin: {_admin_link(alert)}")
    subject = f"[VendHub] {alert.event}: {short} ({alert.count})"
    return subject, "\n".join(lines)
