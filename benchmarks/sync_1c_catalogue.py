"""Benchmark: sync a 100,000-item 1C catalogue through a real Celery worker, twice.

Serves a generated catalogue (``Catalog_Номенклатура``, items made on the fly, so the server holds
no records) from the local 1C OData test server, run in a process of its own, starts
``celery -A vendhub_integrations worker`` as a separate process, and runs a ``manual_sync`` job on
it: first into an empty table, then an unchanged re-run. For each run it measures records per
second (from the job's ``started_at`` to ``completed_at``) and the peak resident memory (VmHWM) of
the worker process that ran the job. The worker runs with ``--max-tasks-per-child 1``, so each run
gets a fresh pool process and its peak is its own.

Baseline: right before each sync, this process reads the same catalogue through the same provider
and HTTP client (``OneCOData.pages`` over ``IntegrationHttpClient``, page logs included) without
storing anything. A sync's ratio is its records/s over that fetch-only records/s: the share of
the reading speed that storing leaves, independent of how fast the machine is.

    python benchmarks/sync_1c_catalogue.py [--records 100000] [--page-size 500]

Runs in its own database and Redis database (see ``_harness``), dropped at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from _harness import Figure, bench_environment, print_table, rate

if TYPE_CHECKING:
    from integrations.models import Integration
    from vendhub_integrations.testing.worker import WorkerProcess

ENTITY = "products"


@dataclass
class SyncRun:
    processed: int
    created: int
    updated: int
    seconds: float
    peak_rss_mb: float
    idle_rss_mb: float


def read_status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def _serve_catalogue(records: int, channel: Connection) -> None:
    """Child process: serve ``records`` generated items until the parent closes ``channel``."""
    from syncjobs.tests.onec_server import CATALOGUE, GeneratedSet, ODataServer

    server = ODataServer()
    server.keep_requests = False
    server.entity_sets[CATALOGUE] = GeneratedSet(records)
    server.start()
    channel.send(server.root)
    with suppress(EOFError):
        channel.recv()
    server.stop()


@contextmanager
def catalogue_server(records: int) -> Iterator[str]:
    """The OData root of a catalogue server in its own process (its own GIL, as a real 1C)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve_catalogue, args=(records, theirs), daemon=True)
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


def fetch_only(integration: Integration, source: str) -> tuple[int, float]:
    """Read every page as the sync does, storing nothing: (records, seconds)."""
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
    started = time.perf_counter()
    count = sum(len(page) for page in provider.pages(context, entity=ENTITY, source=source))
    return count, time.perf_counter() - started


def sync_once(integration: Integration, worker: WorkerProcess, used_pids: set[int]) -> SyncRun:
    from syncjobs.models import FINISHED_STATUSES
    from syncjobs.services import sync_job_create
    from vendhub_integrations.testing.worker import wait_until

    # The job runs in the one fresh pool process (the one that ran the previous job has exited);
    # only its memory is watched, so a replacement forked as the job ends does not count.
    def fresh_children() -> list[int]:
        return [pid for pid in worker.child_pids() if pid not in used_pids]

    if not wait_until(lambda: bool(fresh_children()), timeout=30):
        raise RuntimeError(f"no fresh pool process:\n{worker.output()[-3000:]}")
    runners = fresh_children()
    used_pids.update(runners)
    idle = max((read_status_kb(pid, "VmRSS") or 0 for pid in runners), default=0)
    job = sync_job_create(integration=integration, requested_by="benchmark")
    peaks: dict[int, int] = {}
    while True:
        for pid in runners:
            peak = read_status_kb(pid, "VmHWM")
            if peak:
                peaks[pid] = max(peaks.get(pid, 0), peak)
        job.refresh_from_db()
        if job.status in FINISHED_STATUSES:
            break
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker died:\n{worker.output()[-3000:]}")
        time.sleep(0.2)
    if job.status != "completed":
        raise RuntimeError(f"job {job.status}: {job.error_message}")
    assert job.completed_at and job.started_at
    return SyncRun(
        processed=job.records_processed,
        created=job.records_created,
        updated=job.records_updated,
        seconds=(job.completed_at - job.started_at).total_seconds(),
        peak_rss_mb=max(peaks.values(), default=0) / 1024,
        idle_rss_mb=idle / 1024,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()

    with (
        bench_environment("sync_1c_catalogue") as environment,
        catalogue_server(args.records) as root,
    ):
        from integrations.models import Integration
        from syncjobs.tests.onec_server import CATALOGUE, PASSWORD, USERNAME
        from vendhub_integrations.testing.worker import celery_worker

        integration = Integration.objects.create(
            name="Benchmark 1C",
            code="bench-1c",
            type="erp",
            provider="1c",
            status="active",
            api_endpoint=root,
            api_key=USERNAME,
            api_secret=PASSWORD,
            config={"mapping": {ENTITY: CATALOGUE}, "page_size": args.page_size},
        )
        figures: list[Figure] = []
        with celery_worker(
            broker_url=environment.broker_url, extra_args=["--max-tasks-per-child", "1"]
        ) as worker:
            used_pids: set[int] = set()
            for number, name in enumerate(("first run (all new)", "unchanged re-run"), 1):
                fetched, fetch_seconds = fetch_only(integration, CATALOGUE)
                baseline = rate(f"fetch-only #{number} (baseline)", fetched, fetch_seconds,
                                "rec/s")  # fmt: skip
                run = sync_once(integration, worker, used_pids)
                detail = (
                    f"{run.processed} read, {run.created} created, {run.updated} updated "
                    f"in {run.seconds:.2f} s"
                )
                figures += [
                    baseline,
                    rate(f"sync, {name}", run.processed, run.seconds, "rec/s",
                         baseline=baseline, detail=detail),
                    Figure(f"worker peak RSS, {name}", run.peak_rss_mb, "MB",
                           f"idle before the job: {run.idle_rss_mb:.0f} MB"),
                ]  # fmt: skip
    print_table(
        f"1C catalogue of {args.records} items, pages of {args.page_size}, one worker process",
        figures,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
