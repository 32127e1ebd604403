"""The sync engine app; installs its beat entries (the scheduler pass every minute, the sweep of
jobs whose worker died every 10 s) on migrate."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# With the running job's 30 s staleness, a killed worker's job ends failed within ~40 s.
SYNC_SWEEP_EVERY_SECONDS = 10


def _install_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from vendhub_integrations.beat import ensure_interval_task

    ensure_interval_task(
        name="syncjobs: run scheduled syncs",
        task="syncjobs.run_scheduled_syncs",
        every_seconds=60,
    )
    ensure_interval_task(
        name="syncjobs: fail jobs whose worker died",
        task="syncjobs.sweep",
        every_seconds=SYNC_SWEEP_EVERY_SECONDS,
    )


class SyncjobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "syncjobs"
    verbose_name = "Sync jobs"

    def ready(self) -> None:
        post_migrate.connect(_install_schedule, sender=self)
