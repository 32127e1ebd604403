"""Celery tasks of the payments app: thin doors to ``payments.services``."""

from __future__ import annotations

from celery import shared_task

from payments.services import (
    click_pass_settle_due,
    fiscal_receipt_process,
    fiscal_receipt_sweep,
    invoice_cancel_expired,
    uzum_transactions_expire,
)


@shared_task(name="payments.cancel_expired_invoices", ignore_result=True)
def cancel_expired_invoices() -> int:
    # Uzum's created transactions past their confirm window fail first: an expired invoice they
    # held is then free to be cancelled in the same pass.
    uzum_transactions_expire()
    return invoice_cancel_expired()


@shared_task(name="payments.fiscal_receipt_process", ignore_result=True)
def fiscal_receipt_process_task(receipt_id: str) -> None:
    """One try at a Click receipt; the row says whether it is due (a duplicate does nothing)."""
    fiscal_receipt_process(receipt_id=receipt_id)


@shared_task(name="payments.fiscal_receipts_sweep", ignore_result=True)
def fiscal_receipts_sweep() -> int:
    return fiscal_receipt_sweep()


@shared_task(name="payments.click_pass_settle", ignore_result=True)
def click_pass_settle() -> int:
    return click_pass_settle_due()
