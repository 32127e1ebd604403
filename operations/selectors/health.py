"""The integrations' health on the dashboard: each live integration with its last test, last sync
job and last webhook (a gateway: its last inbound call), and the verdict drawn from them. One
query, the latest rows read off the ``(integration, -created_at)`` indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, OuterRef, Subquery, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.models import Integration, IntegrationLog, IntegrationStatus, LogDirection
from integrations.providers import PROVIDERS, declaration_for, provider_for
from syncjobs.models import SyncJob, SyncJobStatus
from webhooks.models import Webhook

INTEGRATIONS_SHOWN = 100


@dataclass
class IntegrationHealth:
    integration: Integration
    health: str  # "ok", "failing" or "unknown"
    reason: str
    last_test_at: datetime | None
    last_test_ok: bool | None
    last_sync_at: datetime | None
    last_job_status: str | None
    last_webhook_at: datetime | None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None


def _gateway_providers() -> list[str]:
    """Provider names whose senders speak their own protocol on the receive URL (Payme, Click):
    such an integration is judged by its traffic, not by a connection test."""
    return [
        name
        for name in PROVIDERS
        if (declaration := declaration_for(name)) is not None and declaration.receive_protocol
    ]


def _gateway_call(expression: Subquery, gateways: list[str]) -> Case:
    # Only a gateway's row runs the subquery (CASE is evaluated lazily): an ERP's millions of
    # outbound sync logs are never scanned for an inbound one.
    return Case(When(provider_lower__in=gateways, then=expression), default=Value(None))


def integration_health_list(*, limit: int = INTEGRATIONS_SHOWN) -> list[IntegrationHealth]:
    """Each live integration with its last test, last sync job and last webhook (a gateway: its
    last inbound call): one query, the latest rows read off the ``(integration, -created_at)``
    indexes.

    Health is "failing" (status error, a failed test, a failed sync, a gateway's last call
    answered with a protocol error), "ok", "unknown" (nothing to judge by yet) or "not testable"
    (no connector and no receive protocol: nothing the hub can check)."""
    latest_webhook = Webhook.objects.filter(integration=OuterRef("pk")).order_by("-created_at")
    latest_job = SyncJob.objects.filter(integration=OuterRef("pk")).order_by("-created_at")
    latest_call = IntegrationLog.objects.filter(
        integration=OuterRef("pk"), direction=LogDirection.INBOUND
    ).order_by("-created_at")
    gateways = _gateway_providers()
    rows = (
        Integration.objects.annotate(provider_lower=Lower("provider"))
        .annotate(
            last_webhook_at=Subquery(latest_webhook.values("created_at")[:1]),
            last_job_status=Subquery(latest_job.values("status")[:1]),
            last_job_error=Subquery(latest_job.values("error_message")[:1]),
            last_call_at=_gateway_call(Subquery(latest_call.values("created_at")[:1]), gateways),
            last_call_error=_gateway_call(
                Subquery(latest_call.values("error_message")[:1]), gateways
            ),
        )
        .order_by("name", "code")[:limit]
    )
    result = []
    for row in rows:
        metadata = row.metadata if isinstance(row.metadata, dict) else {}
        last_test_ok = metadata.get("last_test_ok")
        last_test_ok = last_test_ok if isinstance(last_test_ok, bool) else None
        declaration = declaration_for(row.provider)
        gateway = declaration is not None and bool(declaration.receive_protocol)
        testable = metadata.get("last_test_testable") is not False and (
            gateway or provider_for(row) is not None
        )
        if not testable or gateway:
            last_test_ok = None  # a test that could not be made says nothing either way
        reasons = []
        if row.status == IntegrationStatus.ERROR:
            reasons.append("status is error")
        if last_test_ok is False:
            reasons.append(f"last test failed: {metadata.get('last_test_message') or 'no message'}")
        job_status = row.last_job_status
        if job_status == SyncJobStatus.FAILED:
            reasons.append(f"last sync failed: {row.last_job_error or 'no message'}")
        call_error = row.last_call_error or ""
        if gateway and declaration is not None and declaration.is_protocol_error(call_error):
            reasons.append(f"last call from the gateway answered {call_error}")
        if reasons:
            health, reason = "failing", "; ".join(reasons)
        elif gateway:
            called = row.last_call_at is not None
            health, reason = ("ok", "") if called else ("unknown", "no call from the gateway yet")
        elif not testable:
            health, reason = "not testable", ""
        elif last_test_ok or job_status == SyncJobStatus.COMPLETED:
            health, reason = "ok", ""
        else:
            health, reason = "unknown", ""
        result.append(
            IntegrationHealth(
                integration=row,
                health=health,
                reason=reason,
                last_test_at=_parse_time(metadata.get("last_test_at")),
                last_test_ok=last_test_ok,
                last_sync_at=row.last_sync_at,
                last_job_status=job_status,
                last_webhook_at=row.last_webhook_at,
            )
        )
    return result
