"""Fiscal receipts and Click Pass with a real Celery worker and beat, Redis and PostgreSQL, and
the local Click merchant server: a receipt queued while the broker was down is fiscalized once
it is back, through Click faults; a Click Pass charge left processing is settled by beat and
ends with a fiscalized receipt."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.testing.processes import wait_until
from core.testing.worker import celery_beat, celery_worker
from payments.models import FiscalReceipt, PaymentInvoice
from payments.services.fiscal import fiscal_receipt_enqueue
from payments.tests.test_fiscal_click import shop_pay
from webhooks.tests.conftest import broker_down  # noqa: F401 (the broker outage fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST = {"FISCAL_RETRY_BASE_SECONDS": "0.5", "FISCAL_LEASE_SECONDS": "5"}


def receipt_status() -> str | None:
    receipt = FiscalReceipt.objects.first()
    return receipt.status if receipt else None


def install_schedule() -> None:
    from core.beat import install_schedule as install
    from payments.apps import SCHEDULE

    install(SCHEDULE)


def test_broker_down_at_payment_then_beat_and_worker_fiscalize_through_click_faults(
    worker_broker_url,
    broker_down,  # noqa: F811 (the fixture imported above)
    click_api,
    click_server,
    invoice_with_items,
):
    shop_pay(Client(), click_api)
    receipt = FiscalReceipt.objects.get()
    # The wake-up message could not be sent; the row is due and waits.
    assert (receipt.status, receipt.attempts) == ("pending", 0)
    broker_down.restore()
    click_server.state.ofd_faults = 2
    install_schedule()
    with (
        celery_worker(broker_url=worker_broker_url, extra_env=FAST) as worker,
        celery_beat(broker_url=worker_broker_url, extra_env=FAST) as beat,
    ):
        done = wait_until(lambda: receipt_status() == "fiscalized", timeout=45, interval=0.2)
        assert done, worker.output()[-3000:] + beat.output()[-2000:]
    receipt.refresh_from_db()
    assert receipt.attempts == 2 and receipt.qr_code_url
    assert len(click_server.state.calls("submit_items")) == 1


def test_a_duplicate_wake_up_never_submits_twice(
    worker_broker_url, click_api, click_server, invoice_with_items
):
    click_server.state.ofd_ready_after = 3
    with celery_worker(broker_url=worker_broker_url, concurrency=2, extra_env=FAST) as worker:
        shop_pay(Client(), click_api)
        receipt = FiscalReceipt.objects.get()
        for _ in range(5):
            fiscal_receipt_enqueue(receipt.pk)
        done = wait_until(lambda: receipt_status() == "fiscalized", timeout=30, interval=0.2)
        assert done, worker.output()[-3000:]
    assert len(click_server.state.calls("submit_items")) == 1


def test_click_pass_left_processing_is_settled_by_beat_and_fiscalized(
    worker_broker_url, settings, click_api, click_server, invoice_with_items, api_key
):
    settings.CLICK_PASS_POLL_SECONDS = 0.3
    settings.CLICK_PASS_POLL_INTERVAL = 0.1
    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = [1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    response = api.post(
        f"/api/payment-invoices/{invoice_with_items.pk}/click-pass",
        {"integration": click_api.code, "otp_data": "880101698207133392"},
        format="json",
    )
    assert response.json()["status"] == "processing"
    click_server.state.status_answers = [2]
    install_schedule()

    def paid_and_fiscalized() -> bool:
        invoice = PaymentInvoice.objects.get(pk=invoice_with_items.pk)
        return invoice.status == "paid" and receipt_status() == "fiscalized"

    with (
        celery_worker(broker_url=worker_broker_url, extra_env=FAST) as worker,
        celery_beat(broker_url=worker_broker_url, extra_env=FAST) as beat,
    ):
        done = wait_until(paid_and_fiscalized, timeout=60, interval=0.3)
        assert done, worker.output()[-3000:] + beat.output()[-2000:]
    assert len(click_server.state.calls("/click_pass/payment")) == 1
