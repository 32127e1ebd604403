"""``/metrics`` at scale: what a scrape costs with ten million webhooks, and what the counting
triggers cost each insert.

The counters are totals kept by triggers (``operations.models``), so a scrape sums shard rows
and reads the webhooks table only through its status index (pending and processing). This fills
``BENCH_WEBHOOKS`` webhooks (default 10,000,000; server-side ``INSERT … SELECT generate_series``,
triggers on, so the totals are the ones the triggers keep: 20 integrations, 10 event types,
1 % pending) and ``BENCH_LOGS`` outbound logs (default 1,000,000), then times ``BENCH_RUNS``
scrapes (median). The trigger's cost per row is measured on ``BENCH_TRIGGER_ROWS`` single-row
inserts (default 20,000, each its own statement and transaction, as the receive makes them;
``synchronous_commit`` off so that the fsync does not drown the figure) with the triggers on and
off.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/metrics_scrape.py
"""

from __future__ import annotations

import os
import statistics
import time

from _harness import Figure, bench_environment, percentile, print_table

WEBHOOKS = int(os.environ.get("BENCH_WEBHOOKS", "10000000"))
LOGS = int(os.environ.get("BENCH_LOGS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "10"))
TRIGGER_ROWS = int(os.environ.get("BENCH_TRIGGER_ROWS", "20000"))
INTEGRATIONS = 20


def _fill(ids: list[str]) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO webhooks (id, created_at, updated_at, integration_id, event_type,
                payload, headers, status, retry_count, max_retries, signature_verified,
                metadata, rejected)
            SELECT gen_random_uuid(), now(), now(), (%(ids)s::uuid[])[1 + n %% %(count)s],
                'event.' || (n %% 10), '{}'::jsonb, '{}'::jsonb,
                CASE WHEN n %% 100 = 0 THEN 'pending' ELSE 'completed' END, 0, 3, true,
                '{}'::jsonb, false
            FROM generate_series(1, %(webhooks)s) AS n
            """,
            {"ids": ids, "count": INTEGRATIONS, "webhooks": WEBHOOKS},
        )
        cursor.execute(
            """
            INSERT INTO integration_logs (id, created_at, updated_at, integration_id, action,
                direction, endpoint, request_data, response_data, status_code, duration_ms,
                metadata)
            SELECT gen_random_uuid(), now(), now(), (%(ids)s::uuid[])[1 + n %% %(count)s],
                (ARRAY['sync_page','test_connection','webhook_forward'])[1 + n %% 3],
                'outbound', '', '{}'::jsonb, '{}'::jsonb, 200, (random() * 3000)::int,
                '{}'::jsonb
            FROM generate_series(1, %(logs)s) AS n
            """,
            {"ids": ids, "count": INTEGRATIONS, "logs": LOGS},
        )
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _single_inserts(integration_id: str, rows: int) -> float:
    """Seconds for ``rows`` one-row INSERTs (autocommit, one statement each) into webhooks."""
    from django.db import connection

    with connection.cursor() as cursor:
        # The commit's fsync would be most of each figure: the triggers' own cost is the point.
        cursor.execute("SET synchronous_commit = off")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _ in range(rows):
            cursor.execute(
                "INSERT INTO webhooks (id, created_at, updated_at, integration_id, event_type,"
                " payload, headers, status, retry_count, max_retries, signature_verified,"
                " metadata, rejected) VALUES (gen_random_uuid(), now(), now(), %s, 'x',"
                " '{}', '{}', 'pending', 0, 3, false, '{}', false)",
                [integration_id],
            )
    return time.perf_counter() - started


def _scrapes(client, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    assert client.get("/metrics").status_code == 200  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/metrics")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return timings


def main() -> None:
    with bench_environment("metrics"):
        from django.db import connection
        from django.test import Client
        from rest_framework_api_key.models import APIKey

        from integrations.tests.factories import IntegrationFactory
        from operations.models import MetricCounter

        ids = [str(IntegrationFactory(code=f"bench-{n}").pk) for n in range(INTEGRATIONS)]
        _, key = APIKey.objects.create_key(name="bench")
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Api-Key {key}")

        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE webhooks DISABLE TRIGGER USER")
        without = _single_inserts(ids[0], TRIGGER_ROWS)
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE webhooks ENABLE TRIGGER USER")
        counted = _single_inserts(ids[0], TRIGGER_ROWS)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE webhooks, metric_counters")

        empty = _scrapes(client, RUNS)
        fill_seconds = _fill(ids)
        full = _scrapes(client, RUNS)
        counter_rows = MetricCounter.objects.count()

        def figure(label: str, timings: list[float], base: Figure | None) -> Figure:
            p90 = percentile(timings, 0.9)
            return Figure(
                label,
                statistics.median(timings),
                "ms (median)",
                f"p90 {p90:.0f} ms over {len(timings)} runs",
                base,
            )

        baseline = figure("/metrics, empty database", empty, None)
        insert_baseline = Figure(
            "one-row webhook INSERT, triggers off", without / TRIGGER_ROWS * 1e6, "µs", ""
        )
        print_table(
            f"/metrics with {WEBHOOKS:,} webhooks and {LOGS:,} outbound logs "
            f"(filled in {fill_seconds:.0f} s; {counter_rows} counter rows)",
            [
                baseline,
                figure(f"/metrics, {WEBHOOKS:,} webhooks", full, baseline),
                insert_baseline,
                Figure(
                    "one-row webhook INSERT, counted",
                    counted / TRIGGER_ROWS * 1e6,
                    "µs",
                    f"{TRIGGER_ROWS:,} inserts each",
                    insert_baseline,
                ),
            ],
        )


if __name__ == "__main__":
    main()
