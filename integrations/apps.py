"""The integrations app; ``migrate`` installs its beat entries (heartbeat, alerts sweep, log
retention)."""

from django.apps import AppConfig

from core.beat import IntervalTask, install_on_migrate

RETENTION_EVERY_SECONDS = 24 * 3600  # retention runs daily

SCHEDULE = (
    IntervalTask("integrations: worker heartbeat", "integrations.worker_heartbeat", 60),
    IntervalTask("integrations: send alerts", "integrations.alerts_sweep", "ALERT_SWEEP_SECONDS"),
    IntervalTask(
        "integrations: retention of integration logs",
        "integrations.purge_logs",
        RETENTION_EVERY_SECONDS,
    ),
)


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        install_on_migrate(self, SCHEDULE)
