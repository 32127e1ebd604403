"""``GET /metrics``: Prometheus figures read from the database at scrape time.

Counting rows where the scrape lands (rather than in-process counters) gives the same answer
from every gunicorn process and covers what the worker did, with no multiprocess directory to
share. Labels are bounded: integration code, event type, action, provider and state, never an
id. A figure is an aggregate over its table, so a row deleted by retention leaves the counter
(Prometheus reads the drop as a counter reset, which ``rate()`` handles).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q, Sum
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from integrations.models import IntegrationLog, LogDirection
from payments.models import PaymentTransaction, TransactionState
from syncjobs.models import SyncJob
from webhooks.models import Webhook, WebhookStatus

# Outbound call durations, in seconds (the log keeps milliseconds).
DURATION_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
NO_INTEGRATION = ""


def _code(value: Any) -> str:
    return value if isinstance(value, str) else NO_INTEGRATION


class HubCollector(Collector):
    def describe(self) -> list[Metric]:
        # Nothing to describe up front: registering must not query the database.
        return []

    def collect(self) -> Iterator[Metric]:
        yield from self._webhooks()
        yield from self._sync()
        yield from self._payments()
        yield from self._outbound_durations()

    def _webhooks(self) -> Iterator[Metric]:
        labels = ["integration", "event_type"]
        received = CounterMetricFamily(
            "vendhub_webhooks_received", "Webhooks received (stored rows).", labels=labels
        )
        processed = CounterMetricFamily(
            "vendhub_webhooks_processed", "Webhooks processed successfully.", labels=labels
        )
        failed = CounterMetricFamily(
            "vendhub_webhooks_failed", "Webhooks failed after their last retry.", labels=labels
        )
        ignored = CounterMetricFamily(
            "vendhub_webhooks_ignored", "Webhooks ignored or refused at receipt.", labels=labels
        )
        retried = CounterMetricFamily(
            "vendhub_webhooks_retried",
            "Automatic retries made (a manual retry starts a webhook's count again).",
            labels=labels,
        )
        pending = GaugeMetricFamily(
            "vendhub_webhooks_pending", "Webhooks waiting to be processed.", labels=["integration"]
        )
        processing = GaugeMetricFamily(
            "vendhub_webhooks_processing", "Webhooks being processed.", labels=["integration"]
        )
        rows = (
            Webhook.objects.values("integration__code", "event_type")
            .annotate(
                received=Count("id"),
                processed=Count("id", filter=Q(status=WebhookStatus.COMPLETED)),
                failed=Count("id", filter=Q(status=WebhookStatus.FAILED)),
                ignored=Count("id", filter=Q(status=WebhookStatus.IGNORED)),
                pending=Count("id", filter=Q(status=WebhookStatus.PENDING)),
                processing=Count("id", filter=Q(status=WebhookStatus.PROCESSING)),
                retried=Sum("retry_count"),
            )
            .order_by()
        )
        depth: dict[str, list[int]] = {}
        for row in rows:
            code = _code(row["integration__code"])
            values = [code, row["event_type"]]
            received.add_metric(values, row["received"])
            processed.add_metric(values, row["processed"])
            failed.add_metric(values, row["failed"])
            ignored.add_metric(values, row["ignored"])
            retried.add_metric(values, row["retried"] or 0)
            totals = depth.setdefault(code, [0, 0])
            totals[0] += row["pending"]
            totals[1] += row["processing"]
        for code, (waiting, running) in sorted(depth.items()):
            pending.add_metric([code], waiting)
            processing.add_metric([code], running)
        yield from (received, processed, failed, ignored, retried, pending, processing)

    def _sync(self) -> Iterator[Metric]:
        records = CounterMetricFamily(
            "vendhub_sync_records",
            "Records read by sync jobs, by outcome (created, updated, unchanged, failed).",
            labels=["integration", "outcome"],
        )
        jobs = GaugeMetricFamily(
            "vendhub_sync_jobs", "Sync jobs by status.", labels=["integration", "status"]
        )
        rows = (
            SyncJob.objects.values("integration__code", "status")
            .annotate(
                jobs=Count("id"),
                processed=Sum("records_processed"),
                created=Sum("records_created"),
                updated=Sum("records_updated"),
                failed=Sum("records_failed"),
            )
            .order_by()
        )
        outcomes: dict[str, dict[str, int]] = {}
        for row in rows:
            code = _code(row["integration__code"])
            jobs.add_metric([code, row["status"]], row["jobs"])
            totals = outcomes.setdefault(
                code, dict.fromkeys(("processed", "created", "updated", "failed"), 0)
            )
            sums: dict[str, Any] = dict(row)
            for key in totals:
                totals[key] += sums[key] or 0
        for code, totals in sorted(outcomes.items()):
            unchanged = (
                totals["processed"] - totals["created"] - totals["updated"] - totals["failed"]
            )
            for outcome, value in (
                ("created", totals["created"]),
                ("updated", totals["updated"]),
                ("unchanged", max(unchanged, 0)),
                ("failed", totals["failed"]),
            ):
                records.add_metric([code, outcome], value)
        yield from (records, jobs)

    def _payments(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "vendhub_payment_transactions",
            "Payment transactions by gateway and state (created, performed, cancelled, "
            "cancelled_after_perform).",
            labels=["provider", "state"],
        )
        names = {state.value: state.name.lower() for state in TransactionState}
        rows = PaymentTransaction.objects.values("provider", "state").annotate(n=Count("id"))
        for row in rows.order_by("provider", "state"):
            family.add_metric(
                [row["provider"], names.get(row["state"], str(row["state"]))], row["n"]
            )
        yield family

    def _outbound_durations(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "vendhub_outbound_call_duration_seconds",
            "Durations of outbound calls (tests, sync pages, forwards), from integration logs.",
            labels=["integration", "action"],
        )
        buckets = {
            f"le_{limit}": Count("id", filter=Q(duration_ms__lte=limit))
            for limit in DURATION_BUCKETS_MS
        }
        rows = (
            IntegrationLog.objects.filter(direction=LogDirection.OUTBOUND)
            .values("integration__code", "action")
            .annotate(count=Count("id"), total_ms=Sum("duration_ms"), **buckets)
            .order_by("integration__code", "action")
        )
        for row in rows:
            counts: dict[str, Any] = dict(row)
            family.add_metric(
                [_code(row["integration__code"]), row["action"]],
                [(_seconds(limit), counts[f"le_{limit}"]) for limit in DURATION_BUCKETS_MS]
                + [("+Inf", row["count"])],
                sum_value=(row["total_ms"] or 0) / 1000,
            )
        yield family


def _seconds(milliseconds: int) -> str:
    return repr(milliseconds / 1000)


registry = CollectorRegistry(auto_describe=False)
registry.register(HubCollector())
