"""The payments app: installs the expiry sweep into beat's schedule on migrate. The Payme and
Click protocols answer on the receive URL through their providers' declarations
(``integrations/providers/payme.py``, ``click.py``)."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

EXPIRE_EVERY_SECONDS = 60


def _install_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from vendhub_integrations.beat import ensure_interval_task

    ensure_interval_task(
        name="payments: cancel expired invoices",
        task="payments.cancel_expired_invoices",
        every_seconds=EXPIRE_EVERY_SECONDS,
    )


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        post_migrate.connect(_install_schedule, sender=self)
