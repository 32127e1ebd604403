"""Benchmark: receiving webhooks, and the time from receipt to ``completed`` on a real worker.

1. Receive throughput, in this process, through the real URL, middleware and view with Django's
   test ``Client``: N signed ``hmac_sha256`` deliveries (JSON, distinct ids) of one integration,
   each answered 202 after its row is committed and its message sent to Redis; then the same N
   again, answered 200 as duplicates. Baseline: the bare ORM insert (``Webhook.objects.create``,
   autocommit) of a row equal to what the receive stored, so the ratio says how much the whole
   receive path costs over the one write it cannot avoid. Bodies are signed before the clock
   starts; baseline and receive alternate in rounds, so drift hits both alike.
2. End-to-end latency: with ``celery -A vendhub_integrations worker`` running (one pool process)
   and ``config.forward_url`` pointing at a local HTTP server, one webhook at a time is received
   and waited for until ``completed``; latency = ``processed_at`` minus the moment before the
   POST. Baseline: a bare Celery round trip on the same worker, ``integrations.worker_heartbeat``
   sent and its ``last_seen_at`` (written by the task) minus the moment before sending. The two
   alternate, after a few unmeasured warm-up rounds; the table gives median and p95 of each, and
   splits the median webhook into the POST until its 202 and the 202 until ``completed``.

    python benchmarks/webhook_receive.py [--webhooks 2000] [--latency-samples 50]

Runs in its own database and Redis database (see ``_harness``), dropped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from _harness import Figure, bench_environment, percentile, print_table, rate

if TYPE_CHECKING:
    from django.test import Client

    from integrations.models import Integration
    from webhooks.models import Webhook

SECRET = "benchmark-webhook-secret"
ROUNDS = 4
WARM_UP = 5
ROUND_TRIP_HOST = "benchmark-round-trip"


@dataclass(frozen=True)
class Delivery:
    body: bytes
    signature: str


def delivery(external_id: str) -> Delivery:
    payload = {
        "id": external_id,
        "type": "order.paid",
        "data": {"order_id": external_id, "amount": 125_000, "currency": "UZS", "items": 3},
    }
    body = json.dumps(payload).encode()
    return Delivery(body, hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest())


def post(client: Client, integration: Integration, item: Delivery) -> int:
    response = client.post(
        f"/api/webhooks/receive/{integration.code}",
        data=item.body,
        content_type="application/json",
        headers={"X-Signature": item.signature},
    )
    return response.status_code


def receive_all(client: Client, integration: Integration, items: list[Delivery]) -> float:
    """Seconds to receive ``items`` one after the other; fails on any unexpected answer."""
    started = time.perf_counter()
    statuses = [post(client, integration, item) for item in items]
    seconds = time.perf_counter() - started
    if set(statuses) - {200, 202}:
        raise RuntimeError(f"unexpected answers: {sorted(set(statuses))}")
    return seconds


def insert_all(template: Webhook, external_ids: list[str]) -> float:
    """Seconds to insert one row like ``template`` per external id, each in its own commit."""
    from webhooks.models import Webhook

    fields = {
        name: getattr(template, name)
        for name in (
            "integration", "event_type", "source", "payload", "headers", "status",
            "max_retries", "signature", "signature_verified", "metadata",
        )
    }  # fmt: skip
    started = time.perf_counter()
    for external_id in external_ids:
        Webhook.objects.create(**fields, external_id=external_id)
    return time.perf_counter() - started


def queries_per_request(client: Client, integration: Integration, item: Delivery) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        post(client, integration, item)
    return len(captured.captured_queries)


def measure_receive(client: Client, integration: Integration, count: int) -> list[Figure]:
    from webhooks.models import Webhook

    warm_up = [delivery(f"warm-{n}") for n in range(50)]
    receive_all(client, integration, warm_up)
    template = Webhook.objects.get(integration=integration, external_id="warm-0")
    insert_all(template, [f"warm-insert-{n}" for n in range(50)])

    deliveries = [delivery(f"evt-{n}") for n in range(count)]
    chunks = [deliveries[start::ROUNDS] for start in range(ROUNDS)]
    insert_seconds = receive_seconds = 0.0
    for round_number, chunk in enumerate(chunks):
        ids = [f"insert-{round_number}-{n}" for n in range(len(chunk))]
        insert_seconds += insert_all(template, ids)
        receive_seconds += receive_all(client, integration, chunk)
    duplicate_seconds = receive_all(client, integration, deliveries)

    received = Webhook.objects.filter(integration=integration, external_id__startswith="evt-")
    if received.count() != count:
        raise RuntimeError(f"{received.count()} of {count} deliveries stored")
    new_queries = queries_per_request(client, integration, delivery("evt-extra"))
    duplicate_queries = queries_per_request(client, integration, deliveries[0])

    baseline = rate("bare ORM insert (baseline)", count, insert_seconds, "rows/s",
                    detail=f"{count} in {insert_seconds:.2f} s, 1 INSERT each")  # fmt: skip
    return [
        baseline,
        rate("receive, new ids (202)", count, receive_seconds, "req/s", baseline=baseline,
             detail=f"{count} in {receive_seconds:.2f} s, {new_queries} SQL queries each"),
        rate("receive, duplicates (200)", count, duplicate_seconds, "req/s", baseline=baseline,
             detail=f"{count} in {duplicate_seconds:.2f} s, {duplicate_queries} SQL queries each"),
    ]  # fmt: skip


@contextmanager
def forward_server() -> Iterator[str]:
    """A local HTTP server that answers every POST 200: the forward_url of the webhooks."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


def round_trip_ms(trips: int) -> float:
    """Send the heartbeat task; milliseconds until the task wrote its row."""
    from django.utils import timezone

    from integrations.models import WorkerHeartbeat
    from integrations.tasks import worker_heartbeat
    from vendhub_integrations.testing.worker import wait_until

    rows = WorkerHeartbeat.objects.filter(hostname=ROUND_TRIP_HOST)
    sent = timezone.now()
    worker_heartbeat.delay(hostname=ROUND_TRIP_HOST)
    if not wait_until(lambda: rows.filter(tasks_seen=trips).exists(), timeout=30, interval=0.005):
        raise RuntimeError("the heartbeat task did not run")
    return _ms(rows.get().last_seen_at - sent)


@dataclass(frozen=True)
class Latency:
    total_ms: float  # before the POST until the worker set processed_at
    answered_ms: float  # before the POST until the 202 came back


def receive_to_completed(client: Client, integration: Integration, external_id: str) -> Latency:
    from django.utils import timezone

    from vendhub_integrations.testing.worker import wait_until
    from webhooks.models import Webhook, WebhookStatus

    item = delivery(external_id)
    sent = timezone.now()
    if post(client, integration, item) != 202:
        raise RuntimeError(f"{external_id} was not accepted")
    answered = timezone.now()
    row = Webhook.objects.filter(integration=integration, external_id=external_id)
    done = wait_until(
        lambda: row.filter(status=WebhookStatus.COMPLETED).exists(), timeout=30, interval=0.005
    )
    if not done:
        raise RuntimeError(f"{external_id} is {row.get().status}: {row.get().error_message}")
    processed_at = row.get().processed_at
    assert processed_at is not None
    return Latency(total_ms=_ms(processed_at - sent), answered_ms=_ms(answered - sent))


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000


def measure_latency(
    client: Client, integration: Integration, broker_url: str, samples: int
) -> list[Figure]:
    from vendhub_integrations.testing.worker import celery_worker

    round_trips: list[float] = []
    latencies: list[Latency] = []
    with celery_worker(broker_url=broker_url):
        for n in range(WARM_UP + samples):
            trip = round_trip_ms(n + 1)
            latency = receive_to_completed(client, integration, f"latency-{n}")
            if n >= WARM_UP:
                round_trips.append(trip)
                latencies.append(latency)
    totals = [latency.total_ms for latency in latencies]
    answers = [latency.answered_ms for latency in latencies]
    after_answer = [latency.total_ms - latency.answered_ms for latency in latencies]
    detail = f"{samples} samples, one at a time"
    median_trip = Figure("Celery round trip, median (baseline)", statistics.median(round_trips),
                         "ms", detail)  # fmt: skip
    p95_trip = Figure("Celery round trip, p95 (baseline)", percentile(round_trips, 0.95), "ms",
                      detail)  # fmt: skip
    return [
        median_trip,
        p95_trip,
        Figure("receive → completed, median", statistics.median(totals), "ms", detail,
               median_trip),
        Figure("receive → completed, p95", percentile(totals, 0.95), "ms", detail, p95_trip),
        Figure("  of which POST → 202, median", statistics.median(answers), "ms",
               "in this process, through the view"),
        Figure("  of which 202 → completed, median", statistics.median(after_answer), "ms",
               "queue, claim, forward, log, finish", median_trip),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=50)
    args = parser.parse_args()

    with bench_environment("webhook_receive") as environment, forward_server() as forward_url:
        from django.test import Client

        from integrations.models import Integration
        from vendhub_integrations.celery import app

        client = Client(HTTP_HOST="localhost")
        receiving = Integration.objects.create(
            name="Benchmark receive", code="bench-receive", type="erp", provider="erp",
            status="active", webhook_secret=SECRET,
        )  # fmt: skip
        receive_figures = measure_receive(client, receiving, args.webhooks)
        # Nothing consumed the receive part's messages: they must not reach the worker below.
        app.control.purge()
        forwarding = Integration.objects.create(
            name="Benchmark forward", code="bench-forward", type="erp", provider="erp",
            status="active", webhook_secret=SECRET, config={"forward_url": forward_url},
        )  # fmt: skip
        latency_figures = measure_latency(
            client, forwarding, environment.broker_url, args.latency_samples
        )
    print_table(
        f"Webhook receive through the URL and view, {args.webhooks} signed deliveries "
        "(hmac_sha256), in this process",
        receive_figures,
    )
    print_table(
        "Webhook receive → completed with a real worker and a local forward_url",
        latency_figures,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
