"""What the dashboard shows, read with a fixed number of bounded queries.

Every read is either an aggregate over a time window served by an index on ``created_at``
(webhooks of the last 24 hours, payments of the day), a short list read off the head of an index
(failed webhooks newest first, active sync jobs), or one row per live integration with its latest
webhook and sync job taken from the ``(integration, -created_at)`` indexes. None of them grows
with the size of the tables, so the page stays fast with millions of webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Lower, TruncHour
from django.utils import timezone

from integrations.models import Alert, Integration, IntegrationLog, IntegrationStatus, LogDirection
from integrations.providers import PROVIDERS, declaration_for, provider_for
from payments.models import PaymentTransaction, TransactionState
from syncjobs.models import ACTIVE_STATUSES, FINISHED_STATUSES, SyncJob, SyncJobStatus
from webhooks.models import Webhook, WebhookStatus

CHART_HOURS = 24
FAILED_WEBHOOKS_SHOWN = 20
# Failed webhooks are counted up to this many (then shown as "10000+"): the count stays bounded
# however many pile up.
FAILED_COUNT_CAP = 10_000
INTEGRATIONS_SHOWN = 100
PER_INTEGRATION_CHARTS = 12
# A finished job stays on the dashboard this long, so its bar is seen reaching the end.
FINISHED_JOB_VISIBLE = timedelta(minutes=15)
JOBS_SHOWN = 20
ALERTS_SHOWN = 10


@dataclass
class HourBucket:
    start: datetime
    received: int = 0
    completed: int = 0
    failed: int = 0


@dataclass
class WebhookSeries:
    """Webhooks received in each of the last 24 hours, and how many of those completed or failed."""

    label: str
    buckets: list[HourBucket]

    @property
    def received(self) -> int:
        return sum(b.received for b in self.buckets)

    @property
    def completed(self) -> int:
        return sum(b.completed for b in self.buckets)

    @property
    def failed(self) -> int:
        return sum(b.failed for b in self.buckets)


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


@dataclass
class PaymentLine:
    provider: str
    state: int
    state_label: str
    count: int
    amount: int  # tiyin


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


def webhook_hourly_series(
    *, now: datetime, hours: int = CHART_HOURS, per_integration: int = PER_INTEGRATION_CHARTS
) -> tuple[WebhookSeries, list[WebhookSeries]]:
    """Webhooks received per hour over the last ``hours`` hours, with how many of them completed
    and failed: overall, and for the busiest integrations. One aggregate over the window (the
    ``created_at`` index), at most ``hours`` × integrations rows back."""
    current_hour = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    starts = [current_hour - timedelta(hours=offset) for offset in range(hours - 1, -1, -1)]
    rows = (
        Webhook.objects.filter(created_at__gte=starts[0])
        .annotate(hour=TruncHour("created_at"))
        .values("hour", "integration__code")
        # Counting "status" (never null) rather than "id" keeps every column the query reads in
        # the covering index webhooks_created_cover_idx: an index-only scan.
        .annotate(
            received=Count("status"),
            completed=Count("status", filter=Q(status=WebhookStatus.COMPLETED)),
            failed=Count("status", filter=Q(status=WebhookStatus.FAILED)),
        )
        .order_by()
    )
    index = {start: position for position, start in enumerate(starts)}
    overall = [HourBucket(start=start) for start in starts]
    by_integration: dict[Any, list[HourBucket]] = {}
    for row in rows:
        position = index.get(timezone.localtime(row["hour"]))
        if position is None:
            continue
        buckets = by_integration.setdefault(
            row["integration__code"], [HourBucket(start=start) for start in starts]
        )
        for target in (overall[position], buckets[position]):
            target.received += row["received"]
            target.completed += row["completed"]
            target.failed += row["failed"]
    busiest = sorted(by_integration.items(), key=lambda item: -sum(b.received for b in item[1]))[
        :per_integration
    ]
    series = [WebhookSeries(label=code or "no integration", buckets=b) for code, b in busiest]
    return WebhookSeries(label="All integrations", buckets=overall), series


def payments_of_the_day(*, now: datetime) -> list[PaymentLine]:
    """Payment transactions created since local midnight, by gateway and state (the
    ``created_at`` index)."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        PaymentTransaction.objects.filter(created_at__gte=midnight)
        .values("provider", "state")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("provider", "state")
    )
    labels = dict(TransactionState.choices)
    return [
        PaymentLine(
            provider=row["provider"],
            state=row["state"],
            state_label=str(labels.get(row["state"], row["state"])),
            count=row["count"],
            amount=row["amount"] or 0,
        )
        for row in rows
    ]


def failed_webhook_count() -> int:
    """How many webhooks are failed, counted up to ``FAILED_COUNT_CAP + 1`` (the
    ``(status, -created_at)`` index)."""
    return (
        Webhook.objects.filter(status=WebhookStatus.FAILED)
        .order_by()[: FAILED_COUNT_CAP + 1]
        .count()
    )


# The failed webhooks grouped on the dashboard are the newest this many: a bounded read, however
# many have piled up (failed_webhook_count counts all of them).
FAILED_GROUP_WINDOW = 1000


@dataclass
class FailedWebhookGroup:
    """Failed webhooks of one integration with one error: one row and one "Retry all"."""

    integration_id: Any
    integration_code: str | None
    error_message: str
    count: int
    newest_id: Any
    newest_at: datetime
    tries: int
    event_types: list[str]


def failed_webhook_groups(
    *, limit: int = FAILED_WEBHOOKS_SHOWN, window: int = FAILED_GROUP_WINDOW
) -> list[FailedWebhookGroup]:
    """The newest ``window`` failed webhooks grouped by (integration, error), newest group
    first: 20 webhooks that failed alike are one line with their count, not 20 lines."""
    rows = (
        Webhook.objects.filter(status=WebhookStatus.FAILED)
        .order_by("-created_at")
        .values(
            "id",
            "integration_id",
            "integration__code",
            "error_message",
            "event_type",
            "attempt_count",
            "created_at",
        )[:window]
    )
    groups: dict[tuple[Any, str], FailedWebhookGroup] = {}
    for row in rows:
        key = (row["integration_id"], row["error_message"] or "")
        group = groups.get(key)
        if group is None:
            if len(groups) >= limit:
                continue
            group = groups[key] = FailedWebhookGroup(
                integration_id=row["integration_id"],
                integration_code=row["integration__code"],
                error_message=row["error_message"] or "",
                count=0,
                newest_id=row["id"],
                newest_at=row["created_at"],
                tries=row["attempt_count"],
                event_types=[],
            )
        group.count += 1
        if row["event_type"] not in group.event_types:
            group.event_types.append(row["event_type"])
    return list(groups.values())


def sync_job_progress_list(*, now: datetime, limit: int = JOBS_SHOWN) -> list[dict[str, Any]]:
    """Pending and running sync jobs, and those finished in the last few minutes, with how far
    each one is: what the dashboard's bars show and its JSON endpoint returns."""
    jobs = (
        SyncJob.objects.filter(
            Q(status__in=ACTIVE_STATUSES)
            | Q(status__in=FINISHED_STATUSES, completed_at__gte=now - FINISHED_JOB_VISIBLE)
        )
        .select_related("integration")
        .only(
            "id",
            "job_type",
            "status",
            "metadata",
            "records_processed",
            "records_failed",
            "error_message",
            "created_at",
            "started_at",
            "completed_at",
            "integration__code",
            "integration__name",
        )
        .order_by("-created_at")[:limit]
    )
    return [sync_job_progress(job) for job in jobs]


def sync_job_progress(job: SyncJob) -> dict[str, Any]:
    metadata = job.metadata if isinstance(job.metadata, dict) else {}
    progress = metadata.get("progress") if isinstance(metadata.get("progress"), dict) else {}
    assert isinstance(progress, dict)
    percent = progress.get("percent")
    percent = percent if isinstance(percent, int) and not isinstance(percent, bool) else None
    if job.status == SyncJobStatus.COMPLETED:
        percent = 100
    elif percent == 0 and job.records_processed:
        percent = None  # written before percent became null for an unknown total
    if percent is not None:
        percent = max(0, min(100, percent))
        label = f"{percent}%"
    else:
        label = f"{job.records_processed:,} records, total unknown"
    message = progress.get("message") or ""
    if job.status in (SyncJobStatus.FAILED, SyncJobStatus.CANCELLED) and job.error_message:
        message = job.error_message
    return {
        "id": str(job.pk),
        "integration": job.integration.code,
        "integration_name": job.integration.name,
        "job_type": job.job_type,
        "status": job.status,
        # None when the total is unknown (the bar is indeterminate and the label says so).
        "percent": percent,
        "label": label,
        "message": str(message)[:300],
        "records_processed": job.records_processed,
        "records_failed": job.records_failed,
        "active": job.status in ACTIVE_STATUSES,
    }


def sales_not_fiscalized_counts() -> dict[str, int]:
    from payments.selectors import fiscal_receipt_counts

    return fiscal_receipt_counts()


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
