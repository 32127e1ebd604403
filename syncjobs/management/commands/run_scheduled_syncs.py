"""``manage.py run_scheduled_syncs``: one scheduler pass, what beat runs every minute."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from syncjobs.services import run_scheduled_syncs


class Command(BaseCommand):
    help = (
        "One pass of the scheduler: a scheduled_sync job for every due integration "
        "(auto_sync_enabled, active, sync_interval_minutes > 0, next_sync_at null or past), "
        "next_sync_at moved to now + interval; then pending jobs nobody took are sent again and "
        "running jobs whose worker died are failed. Beat runs this every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_scheduled_syncs()
        for job in result.created:
            self.stdout.write(f"created {job.job_type} {job.pk} for {job.integration.code}")
        for code in result.skipped_active:
            self.stdout.write(f"skipped {code}: a job is already pending or running")
        for code, reason in result.refused.items():
            self.stderr.write(f"refused {code}: {reason}")
        self.stdout.write(
            f"{len(result.created)} job(s) created, {len(result.skipped_active)} skipped, "
            f"{result.resent} resent, {result.failed_stale} stale job(s) failed."
        )
