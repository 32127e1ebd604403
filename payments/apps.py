"""The payments app: installs the expiry sweep, the fiscal receipts sweep and the Click Pass
settlement into beat's schedule on migrate. The Payme and
Click protocols answer on the receive URL through their providers' declarations
(``integrations/providers/payme.py``, ``click.py``)."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

EXPIRE_EVERY_SECONDS = 60
# Due fiscal receipts and Click Pass charges still in flight are looked at this often: a
# receipt's first try within a minute, a "processing" charge settled within a minute.
FISCAL_SWEEP_EVERY_SECONDS = 10
CLICK_PASS_SETTLE_EVERY_SECONDS = 10


def _install_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from vendhub_integrations.beat import ensure_interval_task

    ensure_interval_task(
        name="payments: cancel expired invoices",
        task="payments.cancel_expired_invoices",
        every_seconds=EXPIRE_EVERY_SECONDS,
    )
    ensure_interval_task(
        name="payments: fiscal receipts sweep",
        task="payments.fiscal_receipts_sweep",
        every_seconds=FISCAL_SWEEP_EVERY_SECONDS,
    )
    ensure_interval_task(
        name="payments: settle Click Pass charges",
        task="payments.click_pass_settle",
        every_seconds=CLICK_PASS_SETTLE_EVERY_SECONDS,
    )


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        post_migrate.connect(_install_schedule, sender=self)
