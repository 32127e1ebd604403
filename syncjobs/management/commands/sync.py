"""``manage.py sync CODE [JOB_TYPE] [--wait]``: start a sync job, optionally follow it."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from integrations.models import Integration
from syncjobs.engine import sync_job_execute
from syncjobs.models import FINISHED_STATUSES, JobType, SyncJob, SyncJobStatus
from syncjobs.services import (
    SyncJobAlreadyActive,
    SyncJobError,
    sync_job_cancel,
    sync_job_create,
)

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = (
        "Start a sync job for the integration with this code. JOB_TYPE is manual_sync "
        "(default), full_sync, scheduled_sync or sync_<entity> for one entity of config.mapping. "
        "A worker runs the job; with --wait the command shows its progress and exits 0 when it "
        "completed, 1 otherwise (failed, cancelled, or --timeout reached). --inline runs it in "
        "this process instead, without a worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The integration's code.")
        parser.add_argument(
            "job_type", nargs="?", default=JobType.MANUAL, help="Default: manual_sync."
        )
        parser.add_argument(
            "--wait", action="store_true", help="Follow the job with a progress bar until it ends."
        )
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Run the job in this process (no worker needed); implies --wait.",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="With --wait: give up waiting after this many seconds (exit 1; the job goes on).",
        )

    def handle(self, *args: Any, code: str, job_type: str, **options: Any) -> None:
        integration = Integration.objects.filter(code=code).first()
        if integration is None:
            raise CommandError(f"No integration with code {code!r}.")
        inline = options["inline"]
        try:
            job = sync_job_create(
                integration=integration,
                job_type=job_type,
                requested_by="command",
                enqueue=not inline,
            )
        except SyncJobAlreadyActive as error:
            raise CommandError(f"{error} Active job: {error.active_job_id}") from None
        except SyncJobError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Sync job {job.pk} ({job.job_type}) created for {integration.code}.")
        try:
            if inline:
                sync_job_execute(job_id=job.pk)
            elif not options["wait"]:
                return
            job = self._follow(job, timeout=options["timeout"])
        except KeyboardInterrupt:
            self._interrupted(job, inline=inline)
            sys.exit(130)
        self._report(job)
        if job.status != SyncJobStatus.COMPLETED:
            sys.exit(1)

    def _follow(self, job: SyncJob, *, timeout: float | None) -> SyncJob:
        deadline = None if timeout is None else time.monotonic() + timeout
        # The bar writes to the raw stream: OutputWrapper would end each redraw with a newline.
        raw = cast(TextIO, self.stderr._out)  # OutputWrapper's stream; the stubs do not declare it
        with tqdm(desc="records", unit=" rec", file=raw, dynamic_ncols=True) as bar:
            while True:
                job.refresh_from_db()
                bar.update(job.records_processed - bar.n)
                progress = (job.metadata or {}).get("progress") or {}
                bar.set_postfix_str(f"{job.status} {progress.get('message', '')}", refresh=True)
                if job.status in FINISHED_STATUSES:
                    return job
                if deadline is not None and time.monotonic() > deadline:
                    self.stderr.write("Stopped waiting (--timeout); the job goes on.")
                    return job
                time.sleep(POLL_SECONDS)

    def _interrupted(self, job: SyncJob, *, inline: bool) -> None:
        """Ctrl-C: a job run here is cancelled (nothing else would run it); a worker's job goes
        on, and the operator is told how to stop it."""
        self.stderr.write("")
        if inline:
            with contextlib.suppress(SyncJobError):  # it had ended meanwhile
                sync_job_cancel(job=job)
            job.refresh_from_db()
            self.stderr.write(f"Interrupted: job {job.pk} is {job.status}.")
            return
        self.stderr.write(
            f"Stopped following job {job.pk}; the worker goes on with it. Cancel it from the "
            f"admin's sync job list or with POST /api/sync-jobs/{job.pk}/cancel."
        )

    def _report(self, job: SyncJob) -> None:
        summary = (
            f"{job.status}: {job.records_processed} read, {job.records_created} created, "
            f"{job.records_updated} updated, {job.records_failed} failed"
        )
        if job.status == SyncJobStatus.COMPLETED:
            self.stdout.write(self.style.SUCCESS(summary))
        else:
            self.stdout.write(self.style.ERROR(summary))
        if job.error_message:
            self.stdout.write(f"error: {job.error_message}")
        for error in (job.metadata or {}).get("errors", [])[:10]:
            self.stdout.write(f"  {error['entity']} {error['external_id']}: {error['error']}")
