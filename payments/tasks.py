"""Celery tasks of the payments app: thin doors to ``payments.services``."""

from __future__ import annotations

from celery import shared_task

from payments.services import invoice_cancel_expired, uzum_transactions_expire


@shared_task(name="payments.cancel_expired_invoices", ignore_result=True)
def cancel_expired_invoices() -> int:
    # Uzum's created transactions past their confirm window fail first: an expired invoice they
    # held is then free to be cancelled in the same pass.
    uzum_transactions_expire()
    return invoice_cancel_expired()
