"""The webhooks app; ``migrate`` installs the sweeper into beat's schedule."""

from django.apps import AppConfig

from core.beat import IntervalTask, install_on_migrate
from integrations.apps import RETENTION_EVERY_SECONDS

# Often enough that a webhook whose lease ran out (its worker died) is handed on within seconds.
SWEEP_EVERY_SECONDS = 10
# The backlog alert (webhooks pending for over 5 minutes) is looked for this often.
BACKLOG_CHECK_EVERY_SECONDS = 60

SCHEDULE = (
    IntervalTask(
        "webhooks: sweep pending and stuck webhooks", "webhooks.sweep", SWEEP_EVERY_SECONDS
    ),
    IntervalTask("webhooks: backlog alert", "webhooks.backlog_check", BACKLOG_CHECK_EVERY_SECONDS),
    IntervalTask(
        "webhooks: retention of finished webhooks", "webhooks.purge", RETENTION_EVERY_SECONDS
    ),
)


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        install_on_migrate(self, SCHEDULE)
