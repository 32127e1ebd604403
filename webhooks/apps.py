"""The webhooks app; ``migrate`` installs the sweeper into beat's schedule."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Often enough that a webhook whose lease ran out (its worker died) is handed on within seconds.
SWEEP_EVERY_SECONDS = 10
# The backlog alert (webhooks pending for over 5 minutes) is looked for this often.
BACKLOG_CHECK_EVERY_SECONDS = 60


def _install_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from integrations.apps import RETENTION_EVERY_SECONDS
    from vendhub_integrations.beat import ensure_interval_task

    ensure_interval_task(
        name="webhooks: sweep pending and stuck webhooks",
        task="webhooks.sweep",
        every_seconds=SWEEP_EVERY_SECONDS,
    )
    ensure_interval_task(
        name="webhooks: backlog alert",
        task="webhooks.backlog_check",
        every_seconds=BACKLOG_CHECK_EVERY_SECONDS,
    )
    ensure_interval_task(
        name="webhooks: retention of finished webhooks",
        task="webhooks.purge",
        every_seconds=RETENTION_EVERY_SECONDS,
    )


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        post_migrate.connect(_install_schedule, sender=self)
