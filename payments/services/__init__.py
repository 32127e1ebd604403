"""Writes of the payments app, one module per operation group, re-exported here."""

from payments.services.click import ClickError, click_complete, click_prepare
from payments.services.click_pass import (
    ClickPassConflict,
    ClickPassUnavailable,
    click_pass_pay,
    click_pass_refund,
)
from payments.services.click_pass_settlement import (
    ClickPassResult,
    click_pass_settle,
    click_pass_settle_due,
)
from payments.services.events import datetime_of_ms, now_ms, payment_event_emit
from payments.services.fiscal import (
    ReceiptTransactionNotFound,
    fiscal_receipt_fail,
    fiscal_receipt_process,
    fiscal_receipt_store_payme,
    fiscal_receipt_sweep,
)
from payments.services.invoices import (
    InvoiceNotCancellable,
    invoice_cancel,
    invoice_cancel_expired,
    invoice_check_expires_at,
    invoice_create,
    invoice_is_expired,
)
from payments.services.payme import (
    PaymeError,
    payme_check_perform,
    payme_password_change,
    payme_statement,
    payme_transaction_cancel,
    payme_transaction_check,
    payme_transaction_create,
    payme_transaction_perform,
)
from payments.services.paynet import (
    PaynetError,
    paynet_cancel,
    paynet_check,
    paynet_information,
    paynet_password_change,
    paynet_perform,
    paynet_statement,
)
from payments.services.uzum import (
    UzumError,
    uzum_check,
    uzum_confirm,
    uzum_create,
    uzum_reverse,
    uzum_transaction_status,
    uzum_transactions_expire,
)

__all__ = [
    "ClickError",
    "ClickPassConflict",
    "ClickPassResult",
    "ClickPassUnavailable",
    "InvoiceNotCancellable",
    "PaymeError",
    "PaynetError",
    "ReceiptTransactionNotFound",
    "UzumError",
    "click_complete",
    "click_pass_pay",
    "click_pass_refund",
    "click_pass_settle",
    "click_pass_settle_due",
    "click_prepare",
    "datetime_of_ms",
    "fiscal_receipt_fail",
    "fiscal_receipt_process",
    "fiscal_receipt_store_payme",
    "fiscal_receipt_sweep",
    "invoice_cancel",
    "invoice_cancel_expired",
    "invoice_check_expires_at",
    "invoice_create",
    "invoice_is_expired",
    "now_ms",
    "payme_check_perform",
    "payme_password_change",
    "payme_statement",
    "payme_transaction_cancel",
    "payme_transaction_check",
    "payme_transaction_create",
    "payme_transaction_perform",
    "payment_event_emit",
    "paynet_cancel",
    "paynet_check",
    "paynet_information",
    "paynet_password_change",
    "paynet_perform",
    "paynet_statement",
    "uzum_check",
    "uzum_confirm",
    "uzum_create",
    "uzum_reverse",
    "uzum_transaction_status",
    "uzum_transactions_expire",
]
