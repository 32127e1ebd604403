"""The payments app: registers the Payme and Click protocols on the receive URL and installs the
expiry sweep into beat's schedule on migrate."""

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
        from payments.protocols import click, payme
        from webhooks.handlers import register_webhook_receiver

        register_webhook_receiver("payme", payme.receive)
        register_webhook_receiver("click", click.receive)
        post_migrate.connect(_install_schedule, sender=self)
