"""Benchmark: the hub at campaign scale, each figure next to a bare baseline of the same run.

``make bench`` runs this. It starts what it measures: throw-away PostgreSQL and Redis (unless
``DATABASE_URL`` / ``CELERY_BROKER_URL`` are set; then a database and Redis database of its own
on them, see ``_harness``), gunicorn with 2 sync workers serving ``bench_site`` (the project's
URLs plus the baseline view), Celery workers (one at a time, one pool process), a local HTTP sink
and the local 1C OData server. Ports come from ``BENCH_PORT_BASE`` (default 18100) upwards.

1. Ingest: ``wrk`` at 16 connections for 20 s POSTs signed (``hmac_sha256``) 1 KiB deliveries
   with distinct ids to ``/api/webhooks/receive/<code>``; baseline: the same bodies to a bare
   view that inserts one row into a one-column table through the same middleware. Then a worker
   processes every stored webhook; the run fails if any 2xx was not stored or not processed.
2. Processing: 10,000 pending webhooks forwarded to the sink by one worker; baseline: a bare
   Celery task making the same HTTP POST 10,000 times.
3. Sync: a 100,000-record 1C catalogue in pages of 1,000 synced by a worker (first run, then an
   unchanged re-run); baseline: the same pages fetched through the same client and COPY-inserted
   into a plain table. Peak RSS (VmHWM) of the worker's pool process.
4. Lists: ``GET /api/webhooks?status=failed&integration=<id>`` and
   ``GET /api/integration-logs?integration=<id>`` at 10,000 and at 1,000,000 rows (made with
   ``INSERT … SELECT generate_series``): p99 of 100 requests of the first page, and of 100
   requests of the 100th page (its URL reached by following ``next`` 99 times).

Prints one table and writes ``benchmarks/results/latest.json``.

    python benchmarks/campaign.py [--quick]   # --quick: smaller sizes, for trying it out
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _harness import REPO_ROOT, bench_environment, percentile

from core.testing.processes import (
    ChildProcess,
    gunicorn_command,
    running,
    sign_body,
    sink_process,
    wait_until,
)

if TYPE_CHECKING:
    from integrations.models import Integration

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "latest.json"
SECRET = "benchmark-webhook-secret"
API_KEY_NAME = "benchmark"


@dataclass
class Sizes:
    ingest_seconds: int = 20
    # The 20 s of each side are run in rounds, baseline and receive alternating (ABBA), so a
    # machine whose speed drifts (a shared VM) slows both alike instead of only one of them.
    ingest_rounds: int = 4
    ingest_connections: int = 16
    ingest_bodies: int = 20_000
    processing_webhooks: int = 10_000
    sync_records: int = 100_000
    sync_page_size: int = 1_000
    list_small: int = 10_000
    list_large: int = 1_000_000
    list_samples: int = 300
    list_depth: int = 100


QUICK = Sizes(
    ingest_seconds=6,
    ingest_rounds=2,
    ingest_bodies=10_000,
    processing_webhooks=1_000,
    sync_records=10_000,
    list_large=100_000,
    list_samples=30,
)


class Ports:
    def __init__(self, base: int) -> None:
        self.next = base

    def take(self) -> int:
        port, self.next = self.next, self.next + 1
        return port


@dataclass
class Row:
    section: str
    measurement: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def add(self, section: str, measurement: str, value: str, **kwargs: str) -> None:
        self.rows.append(Row(section, measurement, value, **kwargs))


def _ok(condition: bool) -> str:
    return "yes" if condition else "NO"


# --- servers ------------------------------------------------------------------------------


def _serve_catalogue(records: int, port: int, channel: Connection) -> None:
    """Child process: serve ``records`` generated items until the parent closes ``channel``."""
    from core.testing.onec_server import CATALOGUE, GeneratedSet, ODataServer

    server = ODataServer(port=port)
    server.keep_requests = False
    server.entity_sets[CATALOGUE] = GeneratedSet(records)
    server.start()
    channel.send(server.root)
    with suppress(EOFError):
        channel.recv()
    server.stop()


@contextmanager
def catalogue_server(records: int, port: int) -> Iterator[str]:
    """The OData root of a 1C test server in its own process (its own GIL, as a real 1C)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve_catalogue, args=(records, port, theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the 1C test server did not start")
        yield ours.recv()
    finally:
        ours.close()
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()


def _bench_env() -> dict[str, str]:
    from core.testing.worker import test_database_url

    env = os.environ.copy()
    env["DATABASE_URL"] = test_database_url()
    env["DJANGO_SETTINGS_MODULE"] = "bench_site.settings"
    env["PYTHONPATH"] = os.pathsep.join([str(BENCH_DIR), str(REPO_ROOT)])
    env.pop("DJANGO_DEBUG", None)  # measured as it runs in production
    env.setdefault("LOG_LEVEL", "WARNING")
    return env


@contextmanager
def gunicorn(port: int, workdir: Path) -> Iterator[str]:
    command = gunicorn_command(
        "--workers", "2", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
        "--backlog", "256",
    )  # fmt: skip
    web = ChildProcess("gunicorn", command, env=_bench_env(), log_path=workdir / "gunicorn.log")
    with running(web, stop_timeout=20):
        web.wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"


@contextmanager
def worker(broker_url: str, *extra_args: str) -> Iterator[ChildProcess]:
    from core.testing.worker import celery_worker

    env = _bench_env()
    with celery_worker(
        broker_url=broker_url,
        concurrency=1,
        extra_env={key: env[key] for key in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "LOG_LEVEL")},
        extra_args=["--include", "bench_site.tasks", *extra_args],
    ) as process:
        yield process


def wait_for(condition: Any, *, timeout: float, what: str, interval: float = 0.1) -> None:
    if not wait_until(condition, timeout=timeout, interval=interval):
        raise RuntimeError(f"timed out waiting for {what}")


# --- 1. ingest ----------------------------------------------------------------------------


def signed_delivery(external_id: str) -> tuple[str, str]:
    """A 1 KiB JSON delivery and its hex HMAC-SHA256 signature."""
    payload: dict[str, Any] = {
        "id": external_id,
        "type": "order.paid",
        "data": {"order_id": external_id, "amount": 125_000, "currency": "UZS", "items": 3},
        "padding": "",
    }
    size = len(json.dumps(payload, separators=(",", ":")))
    payload["padding"] = "x" * (1024 - size)
    body = json.dumps(payload, separators=(",", ":"))
    return sign_body(SECRET, body), body


def write_bodies(path: Path, prefix: str, count: int) -> None:
    with path.open("w") as out:
        for number in range(count):
            signature, body = signed_delivery(f"{prefix}-{number}")
            out.write(f"{signature}\t{body}\n")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed: `apt-get install -y wrk` (make bench does it)")
    return found


def run_wrk(url: str, bodies: Path, *, seconds: int, connections: int) -> dict[str, Any]:
    threads = 2
    result = subprocess.run(
        [
            ensure_wrk(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(BENCH_DIR / "wrk_signed.lua"),
            url,
            "--",
            str(bodies),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(text for text in result.stdout.splitlines() if text.startswith('{"requests"'))
    figures: dict[str, Any] = json.loads(line)
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["non_2xx"] = figures["status_errors"] + figures["socket_errors"]
    return figures


def combined_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's rounds as one run: all requests over all the time; the median round's p50
    and the worst round's p99."""
    requests = sum(figures["requests"] for figures in rounds)
    duration_us = sum(figures["duration_us"] for figures in rounds)
    return {
        "requests": requests,
        "rps": requests / (duration_us / 1e6),
        "p50_us": statistics.median(figures["p50_us"] for figures in rounds),
        "p99_us": max(figures["p99_us"] for figures in rounds),
        "non_2xx": sum(figures["non_2xx"] for figures in rounds),
        "rounds_rps": [round(figures["rps"], 1) for figures in rounds],
    }


def measure_ingest(
    report: Report, sizes: Sizes, base_url: str, broker_url: str, workdir: Path
) -> None:
    import requests
    from bench_site.urls import BASELINE_TABLE
    from django.db import connection

    from integrations.models import Integration
    from webhooks.models import Webhook, WebhookStatus

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {BASELINE_TABLE} (body text)")
    integration = Integration.objects.create(
        name="Benchmark ingest", code="bench-ingest", type="erp", provider="erp",
        status="active", webhook_secret=SECRET, config={"signature_scheme": "hmac_sha256"},
    )  # fmt: skip
    receive_url = f"{base_url}/api/webhooks/receive/{integration.code}"
    baseline_url = f"{base_url}/bench/baseline/{integration.code}"
    warm = workdir / "warm.tsv"
    write_bodies(warm, "warm", 3_000)
    # Warm both paths (imports, connections, caches) before either is measured.
    for url in (baseline_url, receive_url):
        run_wrk(url, warm, seconds=2, connections=sizes.ingest_connections)
    seconds = max(1, sizes.ingest_seconds // sizes.ingest_rounds)
    baseline_rounds: list[dict[str, Any]] = []
    receive_rounds: list[dict[str, Any]] = []
    for number in range(sizes.ingest_rounds):
        # Distinct ids in every round: a repeated one would be answered as a duplicate.
        bodies = workdir / f"bodies-{number}.tsv"
        write_bodies(bodies, f"evt-{number}", sizes.ingest_bodies)
        sides = [(baseline_url, baseline_rounds), (receive_url, receive_rounds)]
        for url, rounds in sides if number % 2 == 0 else reversed(sides):
            figures = run_wrk(url, bodies, seconds=seconds, connections=sizes.ingest_connections)
            if url == receive_url and figures["requests"] > sizes.ingest_bodies:
                raise RuntimeError(
                    f"more requests than distinct bodies ({sizes.ingest_bodies}): add more"
                )
            rounds.append(figures)
    baseline = combined_rounds(baseline_rounds)
    receive = combined_rounds(receive_rounds)
    # Every 2xx is a committed row: what wrk counted as answered must all be there.
    stored_rows = Webhook.objects.filter(integration=integration, external_id__startswith="evt-")
    answered_2xx = receive["requests"] - receive["non_2xx"]
    # A check that the signatures held: a bad one would be stored as a rejected row.
    rejected = Webhook.objects.filter(integration=integration, rejected=True).count()
    # Processed afterwards: one worker drains what the burst left behind.
    requests.get(f"{base_url}/api/health", timeout=10)
    started = time.perf_counter()
    open_statuses = [WebhookStatus.PENDING, WebhookStatus.PROCESSING]
    with worker(broker_url):
        wait_for(
            lambda: (
                not Webhook.objects.filter(
                    integration=integration, status__in=open_statuses
                ).exists()
            ),
            timeout=3_600,
            what="the ingested webhooks to be processed",
            interval=1.0,
        )
    drain_seconds = time.perf_counter() - started
    # Counted after the drain: requests still in flight when wrk stopped are stored too.
    stored = stored_rows.count()
    processed = stored_rows.exclude(status__in=open_statuses).count()
    if stored < answered_2xx:
        raise RuntimeError(f"{answered_2xx} answered 2xx but {stored} stored")
    ratio = receive["rps"] / baseline["rps"]
    report.results["ingest"] = {
        "ratio": round(ratio, 3),
        "rps": round(receive["rps"], 1),
        "baseline_rps": round(baseline["rps"], 1),
        "p50_ms": round(receive["p50_us"] / 1000, 2),
        "p99_ms": round(receive["p99_us"] / 1000, 2),
        "non_2xx": receive["non_2xx"],
        "stored": stored,
        "rounds_rps": receive["rounds_rps"],
        "baseline_rounds_rps": baseline["rounds_rps"],
    }
    target = 0.75
    report.add("ingest", "receive, signed 1 KiB, 16 conn (req/s)", f"{receive['rps']:,.0f}",
               baseline=f"{baseline['rps']:,.0f}", ratio=f"{ratio:.2f}", target="≥ 0.75",
               met=_ok(ratio >= target))  # fmt: skip
    latency = f"{receive['p50_us'] / 1000:.1f} / {receive['p99_us'] / 1000:.1f}"
    baseline_latency = f"{baseline['p50_us'] / 1000:.1f} / {baseline['p99_us'] / 1000:.1f}"
    report.add("ingest", "receive p50 / p99 (ms)", latency, baseline=baseline_latency)
    report.add("ingest", "non-2xx answers", str(receive["non_2xx"]),
               baseline=str(baseline["non_2xx"]), target="0",
               met=_ok(receive["non_2xx"] == 0))  # fmt: skip
    report.add("ingest", "stored / processed afterwards", f"{stored:,} / {processed:,}",
               target="all 2xx", met=_ok(processed == stored and stored >= answered_2xx
                                         and rejected == 0))  # fmt: skip
    report.add("ingest", "backlog drained by one worker (s)", f"{drain_seconds:.1f}")


# --- 2. processing ------------------------------------------------------------------------


def measure_processing(report: Report, sizes: Sizes, broker_url: str, sink_port: int) -> None:
    from bench_site.tasks import bare_post
    from django.db import connection

    from integrations.models import Integration
    from webhooks.forwarding import forward_body, forward_headers
    from webhooks.models import Webhook, WebhookStatus
    from webhooks.services.enqueue import webhook_enqueue_many

    count = sizes.processing_webhooks
    with sink_process(sink_port) as (sink_url, received):
        integration = Integration.objects.create(
            name="Benchmark processing", code="bench-processing", type="erp", provider="erp",
            status="active", config={"forward_url": sink_url},
        )  # fmt: skip
        _, body = signed_delivery("template")
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO webhooks (id, created_at, updated_at, event_type, source, external_id,
                    payload, headers, status, retry_count, max_retries, signature_verified,
                    metadata, rejected, integration_id)
                SELECT gen_random_uuid(), now(), now(), 'order.paid', 'erp', 'proc-' || n,
                    %s::jsonb, '{}'::jsonb, 'pending', 0, 3, false, '{}'::jsonb, false, %s
                FROM generate_series(1, %s) AS n
                """,
                [body, integration.pk, count],
            )
        ids = list(Webhook.objects.filter(integration=integration).values_list("pk", flat=True))
        sample = Webhook.objects.get(pk=ids[0])
        forward = forward_body(sample).decode()
        headers = forward_headers(sample, forward.encode(), forward_secret=None)
        with worker(broker_url):
            # Warm the worker on both task types.
            bare_post.delay(sink_url, forward, headers)
            wait_for(lambda: received[0] >= 1, timeout=60, what="the warm-up POST")

            start_count = received[0]
            started = time.perf_counter()
            for _ in range(count):
                bare_post.delay(sink_url, forward, headers)
            wait_for(lambda: received[0] >= start_count + count, timeout=3_600,
                     what="the baseline POSTs", interval=0.05)  # fmt: skip
            baseline_seconds = time.perf_counter() - started

            done = Webhook.objects.filter(integration=integration, status=WebhookStatus.COMPLETED)
            started = time.perf_counter()
            # Woken as the sweeper wakes a backlog: stamped at once, 100 ids to a message.
            webhook_enqueue_many(ids)
            wait_for(lambda: done.count() >= count, timeout=3_600,
                     what="the webhooks to be forwarded", interval=0.2)  # fmt: skip
            seconds = time.perf_counter() - started
    per_second, baseline_per_second = count / seconds, count / baseline_seconds
    ratio = per_second / baseline_per_second
    report.results["processing"] = {
        "ratio": round(ratio, 3),
        "per_second": round(per_second, 1),
        "baseline_per_second": round(baseline_per_second, 1),
    }
    report.add("processing", f"{count:,} webhooks forwarded, one worker (/s)",
               f"{per_second:,.0f}", baseline=f"{baseline_per_second:,.0f}",
               ratio=f"{ratio:.2f}", target="≥ 0.70", met=_ok(ratio >= 0.7))  # fmt: skip


# --- 3. sync ------------------------------------------------------------------------------


def settle_database() -> None:
    """Leave nothing for PostgreSQL to do in the background before the next timed step:
    autovacuum would otherwise vacuum and analyze what the previous step wrote (the baseline's
    100,000 rows, the first run's) while the next one is measured, on the same two cores.
    Outside every timed window, the same before a baseline as before its measurement."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        # A superuser's right (the throw-away server's user has it); without, it comes when due.
        with suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def read_status_kb(pid: int, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def fetch_and_copy(integration: Integration, source: str) -> tuple[int, float]:
    """The baseline: every page read as the sync reads it, COPY-inserted into a plain table."""
    from django.db import connection

    from integrations.http import IntegrationHttpClient
    from integrations.providers import provider_for
    from integrations.providers.base import SyncContext

    provider = provider_for(integration)
    assert provider is not None
    context = SyncContext(
        integration=integration,
        client=IntegrationHttpClient(integration),
        should_stop=lambda: False,
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_sync_plain")
        cursor.execute("CREATE TABLE bench_sync_plain (external_id text, data jsonb)")
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    count = 0
    started = time.perf_counter()
    for page in provider.pages(context, entity="products", source=source):
        assert isinstance(page, list)  # no version listing: the context's list_versions is off
        with (
            raw.cursor() as cursor,
            cursor.copy("COPY bench_sync_plain (external_id, data) FROM STDIN") as copy,
        ):
            for record in page:
                copy.write_row((record["Ref_Key"], json.dumps(record, ensure_ascii=False)))
        count += len(page)
    return count, time.perf_counter() - started


@dataclass
class SyncFigures:
    processed: int
    created: int
    updated: int
    seconds: float
    peak_rss_mb: float


def sync_once(integration: Integration, process: ChildProcess, used: set[int]) -> SyncFigures:
    from syncjobs.models import FINISHED_STATUSES
    from syncjobs.services import sync_job_create

    def fresh() -> list[int]:
        return [pid for pid in process.child_pids() if pid not in used]

    if not wait_until(lambda: bool(fresh()), timeout=30):
        raise RuntimeError("no fresh pool process")
    runners = fresh()
    used.update(runners)
    job = sync_job_create(integration=integration, requested_by="benchmark")
    peak = 0
    while True:
        for pid in runners:
            peak = max(peak, read_status_kb(pid, "VmHWM") or 0)
        job.refresh_from_db()
        if job.status in FINISHED_STATUSES:
            break
        time.sleep(0.2)
    if job.status != "completed" or not (job.started_at and job.completed_at):
        raise RuntimeError(f"sync job {job.status}: {job.error_message}")
    return SyncFigures(
        processed=job.records_processed,
        created=job.records_created,
        updated=job.records_updated,
        seconds=(job.completed_at - job.started_at).total_seconds(),
        peak_rss_mb=peak / 1024,
    )


def measure_sync(report: Report, sizes: Sizes, broker_url: str, port: int) -> None:
    from core.testing.onec_server import CATALOGUE, PASSWORD, USERNAME
    from integrations.models import Integration

    with catalogue_server(sizes.sync_records, port) as root:
        integration = Integration.objects.create(
            name="Benchmark 1C", code="bench-1c", type="erp", provider="1c", status="active",
            api_endpoint=root, api_key=USERNAME, api_secret=PASSWORD,
            config={"mapping": {"products": CATALOGUE}, "page_size": sizes.sync_page_size},
        )  # fmt: skip
        settle_database()
        fetched, baseline_seconds = fetch_and_copy(integration, CATALOGUE)
        used: set[int] = set()
        with worker(broker_url, "--max-tasks-per-child", "1") as process:
            settle_database()
            first = sync_once(integration, process, used)
            settle_database()
            rerun = sync_once(integration, process, used)
    if first.created != sizes.sync_records or rerun.created or rerun.updated:
        raise RuntimeError(f"unexpected sync counts: {first}, {rerun}")
    baseline_rate = fetched / baseline_seconds
    first_rate = first.processed / first.seconds
    rerun_rate = rerun.processed / rerun.seconds
    ratio = first_rate / baseline_rate
    speedup = rerun_rate / first_rate
    peak = max(first.peak_rss_mb, rerun.peak_rss_mb)
    report.results["sync"] = {
        "ratio": round(ratio, 3),
        "records_per_second": round(first_rate, 1),
        "baseline_records_per_second": round(baseline_rate, 1),
        "rerun_speedup": round(speedup, 2),
        "peak_rss_mb": round(peak, 1),
    }
    report.add("sync", f"1C, {sizes.sync_records:,} records, first run (rec/s)",
               f"{first_rate:,.0f}", baseline=f"{baseline_rate:,.0f}", ratio=f"{ratio:.2f}",
               target="≥ 0.60", met=_ok(ratio >= 0.6))  # fmt: skip
    report.add("sync", "unchanged re-run (rec/s), speedup", f"{rerun_rate:,.0f}",
               ratio=f"{speedup:.2f}", target="≥ 2.00", met=_ok(speedup >= 2))  # fmt: skip
    report.add("sync", "worker peak RSS (MB)", f"{peak:.0f}", target="< 300",
               met=_ok(peak < 300))  # fmt: skip


# --- 4. lists -----------------------------------------------------------------------------

WEBHOOK_ROWS = """
INSERT INTO webhooks (id, created_at, updated_at, event_type, source, external_id, payload,
    headers, status, retry_count, max_retries, error_message, signature_verified, metadata,
    rejected, integration_id)
SELECT gen_random_uuid(), stamp, stamp, 'order.paid', 'erp', 'list-' || n,
    jsonb_build_object('id', 'list-' || n, 'type', 'order.paid', 'amount', n),
    '{"Content-Type": "application/json"}'::jsonb,
    CASE WHEN n %% 4 = 0 THEN 'completed' ELSE 'failed' END, 3, 3,
    CASE WHEN n %% 4 = 0 THEN NULL ELSE 'HTTP 502 from forward_url' END, true, '{}'::jsonb,
    false, CASE WHEN n %% 8 = 1 THEN %(other)s::uuid ELSE %(target)s::uuid END
FROM (SELECT n, now() - random() * interval '30 days' AS stamp
      FROM generate_series(%(first)s, %(last)s) AS n) AS numbered
"""
LOG_ROWS = """
INSERT INTO integration_logs (id, created_at, updated_at, action, direction, endpoint,
    request_data, response_data, status_code, duration_ms, metadata, integration_id)
SELECT gen_random_uuid(), stamp, stamp, 'webhook_receive', 'inbound',
    'POST /api/webhooks/receive/bench-list', jsonb_build_object('body', jsonb_build_object('n', n)),
    '{"status": "pending"}'::jsonb, 202, 3, '{}'::jsonb,
    CASE WHEN n %% 8 = 1 THEN %(other)s::uuid ELSE %(target)s::uuid END
FROM (SELECT n, now() - random() * interval '30 days' AS stamp
      FROM generate_series(%(first)s, %(last)s) AS n) AS numbered
"""


def add_list_rows(target: Any, other: Any, first: int, last: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in (WEBHOOK_ROWS, LOG_ROWS):
            cursor.execute(
                statement,
                {"target": str(target), "other": str(other), "first": first, "last": last},
            )
        # As autovacuum would soon after such a load: fresh statistics and visibility map, and no
        # autovacuum of a million new rows running in the middle of the measurement.
        cursor.execute("VACUUM (ANALYZE) webhooks")
        cursor.execute("VACUUM (ANALYZE) integration_logs")


def page_latencies(session: Any, url: str, samples: int) -> list[float]:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    return timings


def deep_page_url(session: Any, url: str, depth: int) -> str:
    for _ in range(depth - 1):
        response = session.get(url, timeout=30)
        response.raise_for_status()
        url = response.json()["next"]
        if not url:
            raise RuntimeError(f"fewer than {depth} pages")
    return url


def measure_lists(report: Report, sizes: Sizes, base_url: str) -> None:
    import requests

    from integrations.models import Integration
    from integrations.services import api_key_create

    target = Integration.objects.create(
        name="Benchmark lists", code="bench-list", type="erp", provider="erp", status="active"
    )
    other = Integration.objects.create(
        name="Benchmark lists (other)", code="bench-list-other", type="erp", provider="erp"
    )
    _, key = api_key_create(name=API_KEY_NAME)
    session = requests.Session()
    session.headers["Authorization"] = f"Api-Key {key}"
    lists = {
        "webhooks": f"{base_url}/api/webhooks?status=failed&integration={target.pk}",
        "integration logs": f"{base_url}/api/integration-logs?integration={target.pk}",
    }
    figures: dict[tuple[str, int], tuple[float, float]] = {}
    done = 0
    for scale in (sizes.list_small, sizes.list_large):
        add_list_rows(target.pk, other.pk, done + 1, scale)
        done = scale
        for name, url in lists.items():
            page_latencies(session, url, 20)  # warm the pages' plans and caches
            first = percentile(page_latencies(session, url, sizes.list_samples), 0.99)
            deep = deep_page_url(session, url, sizes.list_depth)
            deep_p99 = percentile(page_latencies(session, deep, sizes.list_samples), 0.99)
            figures[(name, scale)] = (first, deep_p99)
    small, large = sizes.list_small, sizes.list_large

    def worst(scale: int, index: int) -> float:
        return max(figures[(name, scale)][index] for name in lists)

    report.results["list"] = {
        "p99_ms_first_page_1m": round(worst(large, 0), 2),
        "p99_ms_page_100_1m": round(worst(large, 1), 2),
        "p99_ms_first_page_10k": round(worst(small, 0), 2),
        "p99_ms_page_100_10k": round(worst(small, 1), 2),
    }
    for name in lists:
        for index, page in ((0, "first page"), (1, f"page {sizes.list_depth}")):
            at_small, at_large = figures[(name, small)][index], figures[(name, large)][index]
            growth = at_large / at_small
            report.add(
                "lists",
                f"{name}, {page}, p99 (ms) at {large:,} rows",
                f"{at_large:.1f}",
                baseline=f"{at_small:.1f} at {small:,}",
                ratio=f"{growth:.2f}",
                target="< 50 ms, ≤ 1.50",
                met=_ok(at_large < 50 and at_small < 50 and growth <= 1.5),
            )


# --- report -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    with suppress(OSError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory_gb = round(kb / 1024 / 1024, 1)
    postgres = ""
    with suppress(Exception):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres,
    }


def print_report(report: Report) -> None:
    header = Row("section", "measurement", "value", "baseline", "ratio", "target", "met")
    rows = [header, *report.rows]
    names = ["section", "measurement", "value", "baseline", "ratio", "target", "met"]
    widths = [max(len(getattr(row, name)) for row in rows) for name in names]
    aligns = ["<", "<", ">", ">", ">", "<", "<"]

    def line(row: Row) -> str:
        cells = [getattr(row, name) for name in names]
        return "  ".join(
            f"{cell:{align}{width}}"
            for cell, align, width in zip(cells, aligns, widths, strict=True)
        ).rstrip()

    print()
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in report.rows:
        print(line(row))
    sys.stdout.flush()


def main() -> int:
    # This process sends the messages of the processing figures; its log lines would compete
    # for the cores with what is measured, as the servers' would (they run at WARNING too).
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, to try it out")
    parser.add_argument(
        "--only", action="append", choices=["ingest", "processing", "sync", "lists"], default=[]
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else Sizes()
    sections = args.only or ["ingest", "processing", "sync", "lists"]
    ports = Ports(int(os.environ.get("BENCH_PORT_BASE", "18100")))
    report = Report()
    workdir = Path(tempfile.mkdtemp(prefix="vendhub-bench-"))
    try:
        with bench_environment(
            "campaign", postgres_port=ports.take(), redis_port=ports.take()
        ) as environment:
            report.results["machine"] = machine()
            with gunicorn(ports.take(), workdir) as base_url:
                if "ingest" in sections:
                    measure_ingest(report, sizes, base_url, environment.broker_url, workdir)
                if "processing" in sections:
                    measure_processing(report, sizes, environment.broker_url, ports.take())
                if "sync" in sections:
                    measure_sync(report, sizes, environment.broker_url, ports.take())
                if "lists" in sections:
                    measure_lists(report, sizes, base_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_report(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report.results, indent=2) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
