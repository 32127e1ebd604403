"""The admin dashboard (and /metrics) with a million webhooks: queries and time per page.

The same page is measured on an empty database (the baseline) and after filling it, with
server-side SQL (``INSERT … SELECT generate_series``), with ``BENCH_WEBHOOKS`` webhooks (default
1,000,000) spread at random over 30 days (so their rows are in no time order, the worst case
for the chart's window) across 20 integrations and 10 event types (about 1/30 of them in the
chart's 24 hours; 4 % failed), 200,000 outbound integration logs and 2,000 sync jobs. Each
figure is the median of ``BENCH_RUNS`` (default 10) requests by a logged-in superuser, after
one warm-up request; the query count is the same for every run.

    DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres \\
    CELERY_BROKER_URL=redis://127.0.0.1:<port>/0 .venv/bin/python benchmarks/dashboard_scale.py
"""

from __future__ import annotations

import os
import statistics
import time
from typing import TYPE_CHECKING

from _harness import Figure, bench_environment, percentile, print_table

if TYPE_CHECKING:
    from django.test import Client

WEBHOOKS = int(os.environ.get("BENCH_WEBHOOKS", "1000000"))
LOGS = int(os.environ.get("BENCH_LOGS", "200000"))
JOBS = 2000
RUNS = int(os.environ.get("BENCH_RUNS", "10"))
INTEGRATIONS = 20


def _fill() -> float:
    from django.db import connection

    from integrations.tests.factories import IntegrationFactory

    ids = [str(IntegrationFactory(code=f"bench-{n}").pk) for n in range(INTEGRATIONS)]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO webhooks (id, created_at, updated_at, integration_id, event_type, source,
                external_id, payload, headers, status, processed_at, retry_count, max_retries,
                error_message, signature_verified, metadata, rejected)
            SELECT gen_random_uuid(), at, at, (%(ids)s::uuid[])[1 + n %% %(count)s],
                (ARRAY['order.created','order.paid','order.cancelled','payment.created',
                       'payment.completed','stock.changed','price.changed','customer.created',
                       'invoice.issued','unknown'])[1 + n %% 10],
                'erp', 'evt-' || n, jsonb_build_object('id', n, 'type', 'order.paid'),
                '{"Content-Type": "application/json"}'::jsonb,
                CASE WHEN r < 0.90 THEN 'completed' WHEN r < 0.94 THEN 'failed'
                     WHEN r < 0.97 THEN 'ignored' WHEN r < 0.99 THEN 'pending'
                     ELSE 'processing' END,
                CASE WHEN r < 0.90 THEN at END,
                CASE WHEN r >= 0.90 AND r < 0.94 THEN 3 ELSE 0 END, 3,
                CASE WHEN r >= 0.90 AND r < 0.94 THEN 'forward answered HTTP 502' END,
                true, '{}'::jsonb, false
            FROM (
                SELECT n, random() AS r, now() - random() * interval '30 days' AS at
                FROM generate_series(1, %(webhooks)s) AS n
            ) AS rows
            """,
            {"ids": ids, "count": INTEGRATIONS, "webhooks": WEBHOOKS},
        )
        cursor.execute(
            """
            INSERT INTO integration_logs (id, created_at, updated_at, integration_id, action,
                direction, endpoint, request_data, response_data, status_code, duration_ms,
                metadata)
            SELECT gen_random_uuid(), now() - random() * interval '30 days', now(),
                (%(ids)s::uuid[])[1 + n %% %(count)s],
                (ARRAY['sync_page','test_connection','webhook_forward'])[1 + n %% 3],
                'outbound', 'https://erp.example.uz/api', '{}'::jsonb, '{}'::jsonb, 200,
                (random() * 3000)::int, '{}'::jsonb
            FROM generate_series(1, %(logs)s) AS n
            """,
            {"ids": ids, "count": INTEGRATIONS, "logs": LOGS},
        )
        cursor.execute(
            """
            INSERT INTO sync_jobs (id, created_at, updated_at, integration_id, job_type, status,
                started_at, completed_at, records_processed, records_created, records_updated,
                records_failed, metadata)
            SELECT gen_random_uuid(), at, at, (%(ids)s::uuid[])[1 + n %% %(count)s],
                'scheduled_sync', 'completed', at, at + interval '2 minutes', 500, 20, 30, 1,
                '{"progress": {"percent": 100}}'::jsonb
            FROM (SELECT n, now() - n * interval '20 minutes' AS at
                  FROM generate_series(1, %(jobs)s) AS n) AS rows
            """,
            {"ids": ids, "count": INTEGRATIONS, "jobs": JOBS},
        )
        # What autovacuum does soon after a bulk load: statistics, and the visibility map that
        # lets the dashboard's counts read only the indexes.
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


SLOWEST: list[tuple[float, str]] = []


def _measure(path: str, client: Client, runs: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(path).status_code == 200  # warm-up
    timings, counts = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        counts.add(len(queries.captured_queries))
    assert len(counts) == 1, counts
    SLOWEST[:] = sorted(
        ((float(q["time"]) * 1000, q["sql"]) for q in queries.captured_queries), reverse=True
    )[:3]
    return timings, counts.pop()


def main() -> None:
    with bench_environment("dashboard"):
        from django.contrib.auth.models import User
        from django.test import Client
        from rest_framework_api_key.models import APIKey

        from webhooks.models import Webhook

        admin = User.objects.create_superuser("bench", "bench@example.uz", "bench-password")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(admin)
        _, key = APIKey.objects.create_key(name="bench")
        metrics = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Api-Key {key}")

        empty, empty_queries = _measure("/admin/", client, RUNS)
        empty_metrics, _ = _measure("/metrics", metrics, RUNS)
        fill_seconds = _fill()
        rows = Webhook.objects.count()
        full, full_queries = _measure("/admin/", client, RUNS)
        slowest = list(SLOWEST)
        full_metrics, _ = _measure("/metrics", metrics, max(RUNS // 2, 3))

        def figure(label: str, timings: list[float], base: Figure | None, detail: str) -> Figure:
            return Figure(
                label,
                statistics.median(timings),
                "ms (median)",
                f"{detail}; p90 {percentile(timings, 0.9):.0f} ms over {len(timings)} runs",
                base,
            )

        baseline = figure("dashboard, empty database", empty, None, f"{empty_queries} queries")
        metrics_baseline = figure("/metrics, empty database", empty_metrics, None, "")
        print_table(
            f"Admin dashboard with {rows:,} webhooks (filled in {fill_seconds:.0f} s)",
            [
                baseline,
                figure(f"dashboard, {rows:,} webhooks", full, baseline, f"{full_queries} queries"),
                metrics_baseline,
                figure(
                    f"/metrics, {rows:,} webhooks",
                    full_metrics,
                    metrics_baseline,
                    f"{LOGS:,} logs aggregated too",
                ),
            ],
        )

        print("\nThe dashboard's slowest queries at that size (last run):")
        for milliseconds, sql in slowest:
            print(f"  {milliseconds:6.1f} ms  {sql[:150]}…")


if __name__ == "__main__":
    main()
