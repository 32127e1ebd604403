"""The payments app: installs the expiry sweep, the fiscal receipts sweep and the Click Pass
settlement into beat's schedule on migrate. The gateways' protocols answer on the receive URL
through their providers' declarations (``integrations/providers/payme.py``, ``click.py``,
``uzum.py``, ``paynet.py``)."""

from django.apps import AppConfig

from core.beat import IntervalTask, install_on_migrate

EXPIRE_EVERY_SECONDS = 60
# Due fiscal receipts and Click Pass charges still in flight are looked at this often: a
# receipt's first try within a minute, a "processing" charge settled within a minute.
FISCAL_SWEEP_EVERY_SECONDS = 10
CLICK_PASS_SETTLE_EVERY_SECONDS = 10

SCHEDULE = (
    IntervalTask(
        "payments: cancel expired invoices",
        "payments.cancel_expired_invoices",
        EXPIRE_EVERY_SECONDS,
    ),
    IntervalTask(
        "payments: fiscal receipts sweep",
        "payments.fiscal_receipts_sweep",
        FISCAL_SWEEP_EVERY_SECONDS,
    ),
    IntervalTask(
        "payments: settle Click Pass charges",
        "payments.click_pass_settle",
        CLICK_PASS_SETTLE_EVERY_SECONDS,
    ),
)


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        install_on_migrate(self, SCHEDULE)
