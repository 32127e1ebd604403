"""The sync engine app; installs its beat entry (the scheduler pass, every minute) on migrate."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from vendhub_integrations.beat import ensure_interval_task

    ensure_interval_task(
        name="syncjobs: run scheduled syncs",
        task="syncjobs.run_scheduled_syncs",
        every_seconds=60,
    )


class SyncjobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "syncjobs"
    verbose_name = "Sync jobs"

    def ready(self) -> None:
        post_migrate.connect(_install_schedule, sender=self)
