"""Benchmark: sync a 100,000-item 1C catalogue through a real Celery worker, twice.

Serves a generated catalogue (``Catalog_Номенклатура``, items made on the fly, so the server holds
no records) from the local 1C OData test server, starts ``celery -A vendhub_integrations worker``
as a separate process, and runs a ``manual_sync`` job on it: first into an empty table, then an
unchanged re-run. For each run it reports records per second (from the job's ``started_at`` to
``completed_at``) and the peak resident memory (VmHWM) of the worker process that ran the job.
The worker runs with ``--max-tasks-per-child 1``, so each run gets a fresh pool process and its
peak is its own.

    python benchmarks/sync_1c_catalogue.py [--records 100000] [--page-size 500]

Uses ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis) when set, migrating that
database; otherwise it starts throw-away servers as the test suite does. The integration, its
jobs, logs and records are deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vendhub_integrations.testing.environment import (
    prepare_environment,
    stop_services,
)

if TYPE_CHECKING:
    from integrations.models import Integration
    from vendhub_integrations.testing.worker import WorkerProcess


@dataclass
class RunResult:
    label: str
    processed: int
    created: int
    updated: int
    seconds: float
    peak_rss_mb: float
    idle_rss_mb: float

    @property
    def per_second(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0


def read_status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def run_once(
    label: str, integration: Integration, worker: WorkerProcess, used_pids: set[int]
) -> RunResult:
    from syncjobs.models import FINISHED_STATUSES, SyncJob
    from syncjobs.services import sync_job_create
    from vendhub_integrations.testing.worker import wait_until

    # A fresh pool process (the one that ran the previous job has exited) waiting for work.
    def fresh_children() -> list[int]:
        return [pid for pid in worker.child_pids() if pid not in used_pids]

    wait_until(lambda: bool(fresh_children()), timeout=30)
    fresh = fresh_children()
    idle = max((read_status_kb(pid, "VmRSS") or 0) for pid in fresh) if fresh else 0
    job = sync_job_create(integration=integration, requested_by="benchmark")
    peaks: dict[int, int] = {}
    while True:
        for pid in worker.child_pids():
            used_pids.add(pid)
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
        raise RuntimeError(f"{label}: job {job.status}: {job.error_message}")
    assert isinstance(job, SyncJob) and job.completed_at and job.started_at
    seconds = (job.completed_at - job.started_at).total_seconds()
    return RunResult(
        label=label,
        processed=job.records_processed,
        created=job.records_created,
        updated=job.records_updated,
        seconds=seconds,
        peak_rss_mb=max(peaks.values(), default=0) / 1024,
        idle_rss_mb=idle / 1024,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="Keep the synced rows afterwards.")
    args = parser.parse_args()

    prepare_environment()
    import django

    django.setup()
    from django.core.management import call_command

    from integrations.models import Integration, IntegrationLog
    from syncjobs.models import SyncedRecord, SyncJob
    from syncjobs.tests.onec_server import (
        CATALOGUE,
        PASSWORD,
        USERNAME,
        GeneratedSet,
        ODataServer,
    )
    from vendhub_integrations.testing.worker import celery_worker

    call_command("migrate", verbosity=0)
    server = ODataServer()
    server.keep_requests = False
    server.entity_sets[CATALOGUE] = GeneratedSet(args.records)
    server.start()
    integration = Integration.objects.create(
        name="Benchmark 1C",
        code=f"bench-1c-{os.getpid()}",
        type="erp",
        provider="1c",
        status="active",
        api_endpoint=server.root,
        api_key=USERNAME,
        api_secret=PASSWORD,
        config={"mapping": {"products": CATALOGUE}, "page_size": args.page_size},
    )
    results: list[RunResult] = []
    try:
        with celery_worker(
            broker_url=os.environ["CELERY_BROKER_URL"],
            extra_args=["--max-tasks-per-child", "1"],
        ) as worker:
            used_pids: set[int] = set()
            results.append(run_once("first run (all new)", integration, worker, used_pids))
            results.append(run_once("unchanged re-run", integration, worker, used_pids))
    finally:
        server.stop()
        if not args.keep:
            SyncedRecord.objects.filter(integration=integration).delete()
            SyncJob.objects.filter(integration=integration).delete()
            IntegrationLog.objects.filter(integration=integration).delete()
            Integration.all_objects.filter(pk=integration.pk).delete()
        stop_services()

    print(f"1C catalogue of {args.records} items, pages of {args.page_size}, one worker process")
    print(f"{'run':<22}{'read':>9}{'created':>9}{'updated':>9}{'seconds':>9}{'rec/s':>9}"
          f"{'peak RSS':>11}{'idle RSS':>11}")  # fmt: skip
    for r in results:
        print(
            f"{r.label:<22}{r.processed:>9}{r.created:>9}{r.updated:>9}{r.seconds:>9.1f}"
            f"{r.per_second:>9.0f}{r.peak_rss_mb:>8.0f} MB{r.idle_rss_mb:>8.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
