"""Celery tasks of the payments app: thin doors to ``payments.services``."""

from __future__ import annotations

from celery import shared_task

from payments.services import invoice_cancel_expired


@shared_task(name="payments.cancel_expired_invoices", ignore_result=True)
def cancel_expired_invoices() -> int:
    return invoice_cancel_expired()
