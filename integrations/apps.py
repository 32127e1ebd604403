from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

RETENTION_EVERY_SECONDS = 24 * 3600  # retention runs daily


def _install_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from django.conf import settings

    from vendhub_integrations.beat import ensure_interval_task

    ensure_interval_task(
        name="integrations: worker heartbeat",
        task="integrations.worker_heartbeat",
        every_seconds=60,
    )
    ensure_interval_task(
        name="integrations: send alerts",
        task="integrations.alerts_sweep",
        every_seconds=settings.ALERT_SWEEP_SECONDS,
    )
    ensure_interval_task(
        name="integrations: retention of integration logs",
        task="integrations.purge_logs",
        every_seconds=RETENTION_EVERY_SECONDS,
    )


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        post_migrate.connect(_install_schedule, sender=self)
