"""``/metrics`` at scale: what a scrape costs with ten million webhooks.

The counters are totals kept by triggers (``operations.models``), so a scrape sums shard rows
and reads the webhooks table only through its status index (pending and processing). This fills
``BENCH_WEBHOOKS`` webhooks (default 10,000,000; server-side ``INSERT … SELECT generate_series``,
triggers on, so the totals are the ones the triggers keep: 20 integrations, 10 event types,
one in ``BENCH_PENDING_EVERY`` pending) and ``BENCH_LOGS`` outbound logs (default 1,000,000),
then times ``BENCH_RUNS`` scrapes (median).

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
# One webhook in PENDING_EVERY is pending: the queue's depth is read row by row (through the
# status index), so the scrape grows with the backlog, not with the table.
PENDING_EVERY = int(os.environ.get("BENCH_PENDING_EVERY", "10000"))
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
                CASE WHEN n %% %(pending_every)s = 0 THEN 'pending' ELSE 'completed' END,
                0, 3, true, '{}'::jsonb, false
            FROM generate_series(1, %(webhooks)s) AS n
            """,
            {
                "ids": ids,
                "count": INTEGRATIONS,
                "webhooks": WEBHOOKS,
                "pending_every": PENDING_EVERY,
            },
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
        from django.test import Client
        from rest_framework_api_key.models import APIKey

        from integrations.tests.factories import IntegrationFactory
        from operations.models import MetricCounter

        ids = [str(IntegrationFactory(code=f"bench-{n}").pk) for n in range(INTEGRATIONS)]
        _, key = APIKey.objects.create_key(name="bench")
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Api-Key {key}")

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
        print_table(
            f"/metrics with {WEBHOOKS:,} webhooks and {LOGS:,} outbound logs "
            f"(filled in {fill_seconds:.0f} s; {counter_rows} counter rows)",
            [
                baseline,
                figure(
                    f"/metrics, {WEBHOOKS:,} webhooks ({WEBHOOKS // PENDING_EVERY:,} pending)",
                    full,
                    baseline,
                ),
            ],
        )


if __name__ == "__main__":
    main()
