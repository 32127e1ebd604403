"""Writes of the payments app, one module per operation group, re-exported here."""

from payments.services.click import ClickError, click_complete, click_prepare
from payments.services.events import datetime_of_ms, now_ms, payment_event_emit
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

__all__ = [
    "ClickError",
    "InvoiceNotCancellable",
    "PaymeError",
    "click_complete",
    "click_prepare",
    "datetime_of_ms",
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
]
