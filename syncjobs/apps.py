"""The sync engine app; installs its beat entries (the scheduler pass every minute, the sweep of
jobs whose worker died every 10 s) on migrate."""

from django.apps import AppConfig

from core.beat import IntervalTask, install_on_migrate

# With the running job's 30 s staleness, a killed worker's job ends failed within ~40 s.
SYNC_SWEEP_EVERY_SECONDS = 10

SCHEDULE = (
    IntervalTask("syncjobs: run scheduled syncs", "syncjobs.run_scheduled_syncs", 60),
    IntervalTask(
        "syncjobs: fail jobs whose worker died", "syncjobs.sweep", SYNC_SWEEP_EVERY_SECONDS
    ),
)


class SyncjobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "syncjobs"
    verbose_name = "Sync jobs"

    def ready(self) -> None:
        install_on_migrate(self, SCHEDULE)
