"""``GET /metrics``: Prometheus figures, the same from every process.

The counters (``*_total`` and the duration histogram) are monotonic totals kept in
``metric_counters`` and ``metric_durations`` by database triggers, in the same transaction as the
change they count (``operations.models``): they never go down (not after a manual retry, a
``DELETE`` or a retention pass), and a scrape sums a few thousand shard rows instead of
aggregating tables of millions. The gauges (queue depth, jobs by status, payment transactions by
state) are read where they stand, each through an index or from a small table. Labels are
bounded: integration code, event type, action, provider and state, never an id.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Sum
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from integrations.models import Integration
from operations.models import DURATION_BUCKETS_MS, DurationCounter, MetricCounter
from payments.models import PaymentTransaction, TransactionState
from syncjobs.models import SyncJob
from webhooks.models import Webhook, WebhookStatus

NO_INTEGRATION = ""
WEBHOOK_COUNTERS = {
    "webhooks_received": ("vendhub_webhooks_received", "Webhooks received (stored)."),
    "webhooks_processed": ("vendhub_webhooks_processed", "Webhooks processed successfully."),
    "webhooks_failed": ("vendhub_webhooks_failed", "Webhooks failed after their last retry."),
    "webhooks_ignored": (
        "vendhub_webhooks_ignored",
        "Webhooks ignored or refused at receipt.",
    ),
    "webhooks_retried": ("vendhub_webhooks_retried", "Automatic retries made."),
}
SYNC_OUTCOMES = ("processed", "created", "updated", "failed")


def _code(value: Any) -> str:
    return value if isinstance(value, str) else NO_INTEGRATION


def _integration_codes() -> dict[uuid.UUID, str]:
    """Every integration's code by id, soft-deleted ones too (their totals stay)."""
    return {row[0]: row[1] for row in Integration.all_objects.values_list("id", "code")}


def _code_of(key: str, codes: dict[uuid.UUID, str]) -> str:
    """The code for a counter's ``integration_key`` (uuid text on PostgreSQL, 32 hex digits on
    SQLite); "" for none or an integration no longer there."""
    try:
        return codes.get(uuid.UUID(key), NO_INTEGRATION) if key else NO_INTEGRATION
    except ValueError:
        return NO_INTEGRATION


class HubCollector(Collector):
    def describe(self) -> list[Metric]:
        # Nothing to describe up front: registering must not query the database.
        return []

    def collect(self) -> Iterator[Metric]:
        codes = _integration_codes()
        yield from self._webhooks(codes)
        yield from self._sync(codes)
        yield from self._payments()
        yield from self._outbound_durations(codes)

    def _webhooks(self, codes: dict[uuid.UUID, str]) -> Iterator[Metric]:
        labels = ["integration", "event_type"]
        families = {
            metric: CounterMetricFamily(name, documentation, labels=labels)
            for metric, (name, documentation) in WEBHOOK_COUNTERS.items()
        }
        totals: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        rows = (
            MetricCounter.objects.filter(metric__in=WEBHOOK_COUNTERS)
            .values("metric", "integration_key", "label")
            .annotate(total=Sum("value"))
            .order_by()
        )
        for row in rows:
            # Summed by code: a soft-deleted integration's code may have been reused.
            key = (_code_of(row["integration_key"], codes), row["label"])
            totals[key][row["metric"]] = totals[key].get(row["metric"], 0) + int(row["total"])
        for (code, event_type), values in sorted(totals.items()):
            for metric, family in families.items():
                family.add_metric([code, event_type], values.get(metric, 0))
        yield from families.values()
        yield from self._queue_depth()

    def _queue_depth(self) -> Iterator[Metric]:
        """Pending and processing webhooks per integration (0 for an integration with none, and a
        sample on a fresh hub too), counted through the status index."""
        pending = GaugeMetricFamily(
            "vendhub_webhooks_pending", "Webhooks waiting to be processed.", labels=["integration"]
        )
        processing = GaugeMetricFamily(
            "vendhub_webhooks_processing", "Webhooks being processed.", labels=["integration"]
        )
        depth: dict[str, dict[str, int]] = {
            code: {} for code in Integration.objects.values_list("code", flat=True)
        }
        rows = (
            Webhook.objects.filter(status__in=(WebhookStatus.PENDING, WebhookStatus.PROCESSING))
            .values("integration__code", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            counts = depth.setdefault(_code(row["integration__code"]), {})
            counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
        if not depth:
            depth[NO_INTEGRATION] = {}
        for code, counts in sorted(depth.items()):
            pending.add_metric([code], counts.get(WebhookStatus.PENDING, 0))
            processing.add_metric([code], counts.get(WebhookStatus.PROCESSING, 0))
        yield from (pending, processing)

    def _sync(self, codes: dict[uuid.UUID, str]) -> Iterator[Metric]:
        records = CounterMetricFamily(
            "vendhub_sync_records",
            "Records read by sync jobs, by outcome (created, updated, unchanged, failed).",
            labels=["integration", "outcome"],
        )
        jobs = GaugeMetricFamily(
            "vendhub_sync_jobs", "Sync jobs by status.", labels=["integration", "status"]
        )
        outcomes: dict[str, dict[str, int]] = {}
        rows = (
            MetricCounter.objects.filter(metric__in=[f"sync_{name}" for name in SYNC_OUTCOMES])
            .values("metric", "integration_key")
            .annotate(total=Sum("value"))
            .order_by()
        )
        for row in rows:
            totals = outcomes.setdefault(
                _code_of(row["integration_key"], codes), dict.fromkeys(SYNC_OUTCOMES, 0)
            )
            totals[row["metric"].removeprefix("sync_")] += int(row["total"])
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
        job_rows = (
            SyncJob.objects.values("integration__code", "status").annotate(n=Count("id")).order_by()
        )
        for job_row in job_rows:
            jobs.add_metric([_code(job_row["integration__code"]), job_row["status"]], job_row["n"])
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

    def _outbound_durations(self, codes: dict[uuid.UUID, str]) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "vendhub_outbound_call_duration_seconds",
            "Durations of outbound calls (tests, sync pages, forwards).",
            labels=["integration", "action"],
        )
        sums = {f"le_{limit}": Sum(f"le_{limit}") for limit in DURATION_BUCKETS_MS}
        rows = (
            DurationCounter.objects.values("integration_key", "action")
            .annotate(calls=Sum("count"), total_ms=Sum("sum_ms"), **sums)
            .order_by()
        )
        histograms: dict[tuple[str, str], dict[str, int]] = {}
        for row in rows:
            key = (_code_of(row["integration_key"], codes), row["action"])
            merged = histograms.setdefault(key, defaultdict(int))
            values: dict[str, Any] = dict(row)
            for name in ("calls", "total_ms", *sums):
                merged[name] += int(values[name] or 0)
        for (code, action), counts in sorted(histograms.items()):
            family.add_metric(
                [code, action],
                [(_seconds(limit), counts[f"le_{limit}"]) for limit in DURATION_BUCKETS_MS]
                + [("+Inf", counts["calls"])],
                sum_value=counts["total_ms"] / 1000,
            )
        yield family


def _seconds(milliseconds: int) -> str:
    return repr(milliseconds / 1000)


registry = CollectorRegistry(auto_describe=False)
registry.register(HubCollector())
