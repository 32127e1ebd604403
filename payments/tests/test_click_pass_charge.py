"""Click Pass charges through the API against the local Click merchant server: paid, declined,
processing settled by the hub (never re-sending otp_data), no answer or a 500 within the
request's budget, and confirm mode."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import FiscalReceipt, PaymentTransaction
from payments.services import click_pass_settle_due, fiscal_receipt_process
from payments.tests import click_server as fake
from payments.tests.helpers import OTP, charge, events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_poll(settings):
    settings.CLICK_PASS_POLL_SECONDS = 0.6
    settings.CLICK_PASS_POLL_INTERVAL = 0.05


def test_paid_charge_pays_the_invoice_and_queues_its_receipt(
    api_client, click_api, click_server, invoice_with_items
):
    response = charge(api_client, invoice_with_items)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "paid", "payment_id": 4567891234, "error_note": "Success"}
    (sent,) = click_server.state.calls("/click_pass/payment")
    payment = PaymentTransaction.objects.get()
    assert sent.body == {
        "service_id": fake.SERVICE_ID,
        "otp_data": OTP,
        "amount": 12000.0,
        "cashbox_code": "VM-07",
        "transaction_id": str(payment.id),
    }
    invoice_with_items.refresh_from_db()
    assert invoice_with_items.status == "paid"
    assert (invoice_with_items.provider, invoice_with_items.provider_transaction_id) == (
        "click",
        "4567891234",
    )
    assert (payment.state, payment.provider_transaction_id, payment.click_pass) == (
        2,
        "4567891234",
        True,
    )
    assert payment.cashbox_code == "VM-07" and payment.amount == 1_200_000
    assert events(invoice_with_items) == ["payment.created", "payment.completed"]
    receipt = FiscalReceipt.objects.get()
    assert (receipt.status, receipt.payment_id, receipt.received_card) == (
        "pending",
        4567891234,
        1_200_000,
    )
    # ... and the job fiscalizes it against the same server.
    processed = fiscal_receipt_process(receipt_id=receipt.pk)
    assert processed is not None and processed.status == "fiscalized"
    body = api_client.get(f"/api/payment-invoices/{invoice_with_items.pk}").json()
    (shown,) = body["fiscal_receipts"]
    assert shown["status"] == "fiscalized" and shown["terminal_id"] == "UZ191211502034"
    assert shown["transaction_id"] == str(payment.id)


def test_a_wallet_charge_is_fiscalized_as_e_cash(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.processing_type = "WALLET"
    assert charge(api_client, invoice_with_items).json()["status"] == "paid"
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None and receipt.status == "fiscalized"
    (sent,) = click_server.state.submitted[4567891234]
    assert (sent["received_card"], sent["received_ecash"], sent["received_cash"]) == (
        0,
        1_200_000,
        0,
    )


def test_declined_charge_fails_and_leaves_the_invoice_payable(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "declined"
    response = charge(api_client, invoice_with_items)
    assert response.status_code == 200
    assert response.json() == {
        "status": "failed",
        "payment_id": None,
        "error_note": "Insufficient funds",
    }
    invoice_with_items.refresh_from_db()
    assert invoice_with_items.status == "pending"
    payment = PaymentTransaction.objects.get()
    assert payment.state == -1 and payment.error_note == "Insufficient funds"
    assert not FiscalReceipt.objects.exists()
    # The customer tries another card.
    click_server.state.pass_mode = "paid"
    assert charge(api_client, invoice_with_items).json()["status"] == "paid"


def test_processing_settled_while_the_request_polls(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = [1, 2]
    response = charge(api_client, invoice_with_items)
    assert response.json()["status"] == "paid"
    assert len(click_server.state.calls("/payment/status/")) == 2


def test_still_processing_is_settled_by_the_worker_without_resending_the_code(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = [1]
    response = charge(api_client, invoice_with_items)
    assert response.status_code == 200
    assert response.json()["status"] == "processing"
    assert response.json()["payment_id"] == 4567891234
    invoice_with_items.refresh_from_db()
    assert invoice_with_items.status == "pending"
    # Another charge meanwhile is refused: one payment at a time.
    assert charge(api_client, invoice_with_items).status_code == 409
    click_server.state.status_answers = [2]
    assert click_pass_settle_due() == 1
    invoice_with_items.refresh_from_db()
    assert invoice_with_items.status == "paid"
    assert len(click_server.state.calls("/click_pass/payment")) == 1
    assert FiscalReceipt.objects.filter(status="pending").count() == 1


def test_a_charge_still_processing_is_due_again_at_the_next_beat(
    api_client, click_api, click_server, invoice_with_items
):
    from payments.apps import CLICK_PASS_SETTLE_EVERY_SECONDS

    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = [1]
    assert charge(api_client, invoice_with_items).json()["status"] == "processing"
    before = timezone.now()
    assert click_pass_settle_due() == 1
    payment = PaymentTransaction.objects.get()
    assert payment.state == 1 and payment.next_check_at is not None
    # Due again before beat's next run (a few ms early), not skipped to the run after it.
    assert payment.next_check_at - before < timedelta(seconds=CLICK_PASS_SETTLE_EVERY_SECONDS - 1)


def test_processing_that_ends_declined_fails(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = [1]
    assert charge(api_client, invoice_with_items).json()["status"] == "processing"
    click_server.state.status_answers = [-1]
    click_pass_settle_due()
    assert PaymentTransaction.objects.get().state == -1
    invoice_with_items.refresh_from_db()
    assert invoice_with_items.status == "pending"


def test_timeout_is_processing_and_found_again_by_the_hub_transaction_id(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "timeout"
    click_server.state.slow_seconds = 1.5
    response = charge(api_client, invoice_with_items)
    assert response.json()["status"] == "processing"
    assert response.json()["payment_id"] is None
    payment = PaymentTransaction.objects.get()
    assert payment.state == 1
    click_server.state.status_answers = [2]
    assert click_pass_settle_due() == 1
    (asked,) = click_server.state.calls("/payment/status_by_mti/")
    day = timezone.localtime(payment.created_at, timezone.get_fixed_timezone(300)).date()
    assert asked.path == f"/payment/status_by_mti/{fake.SERVICE_ID}/{payment.id}/{day}"
    payment.refresh_from_db()
    assert (payment.state, payment.provider_transaction_id) == (2, "4567891234")
    assert len(click_server.state.calls("/click_pass/payment")) == 1


def test_a_slow_click_never_holds_the_request_past_its_budget(
    api_client, click_api, click_server, invoice_with_items, settings
):
    # With config.timeout at its 30 s default, a hanging Click used to hold the request past
    # gunicorn's 30 s worker timeout (the worker killed, no answer at all). Each call inside the
    # request now waits at most what is left of CLICK_PASS_POLL_SECONDS.
    click_api.config = {**click_api.config, "timeout": 30_000}
    click_api.save()
    settings.CLICK_PASS_POLL_SECONDS = 1.0
    click_server.state.pass_mode = "timeout"
    click_server.state.slow_seconds = 3
    started = time.monotonic()
    response = charge(api_client, invoice_with_items)
    assert time.monotonic() - started < 2
    assert response.json()["status"] == "processing"


def test_slow_status_polls_end_with_the_requests_budget(
    api_client, click_api, click_server, invoice_with_items, settings
):
    click_api.config = {**click_api.config, "timeout": 30_000}
    click_api.save()
    settings.CLICK_PASS_POLL_SECONDS = 1.0
    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = ["timeout"]
    click_server.state.slow_seconds = 4
    started = time.monotonic()
    response = charge(api_client, invoice_with_items)
    assert time.monotonic() - started < 2.5
    assert response.json() == {
        "status": "processing",
        "payment_id": 4567891234,
        "error_note": response.json()["error_note"],
    }
    assert "No answer from Click" in response.json()["error_note"]


def test_a_500_is_processing_then_failed_when_click_never_heard_of_it(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "500"
    assert charge(api_client, invoice_with_items).json()["status"] == "processing"
    # Too early to call it: Click may still be registering it.
    assert click_pass_settle_due() == 1
    assert PaymentTransaction.objects.get().state == 1
    PaymentTransaction.objects.update(
        created_at=timezone.now() - timedelta(minutes=1), next_check_at=timezone.now()
    )
    click_pass_settle_due()
    assert PaymentTransaction.objects.get().state == -1
    assert len(click_server.state.calls("/click_pass/payment")) == 1


def test_confirm_mode_confirms_at_once(api_client, click_api, click_server, invoice_with_items):
    click_server.state.confirm_mode = 1
    assert charge(api_client, invoice_with_items).json()["status"] == "paid"
    (confirm,) = click_server.state.calls("/click_pass/confirm")
    assert confirm.body == {"service_id": fake.SERVICE_ID, "payment_id": 4567891234}
