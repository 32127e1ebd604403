"""Click Pass through the API against the local Click merchant server: paid, declined,
processing settled by the hub (never re-sending otp_data), no answer, refunds, the 400/404/409
rules, a Shop API Complete for the same charge joining it, and no secret anywhere."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import IntegrationLog
from payments.models import FiscalReceipt, PaymentInvoice, PaymentTransaction
from payments.services import click_pass_settle_due, fiscal_receipt_process
from payments.tests import click_server as fake
from payments.tests.helpers import ITEMS, click_call, click_fields
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

OTP = "880101698207133392"


@pytest.fixture(autouse=True)
def _short_poll(settings):
    settings.CLICK_PASS_POLL_SECONDS = 0.6
    settings.CLICK_PASS_POLL_INTERVAL = 0.05


def charge(api_client, invoice, integration="click-pass", **body):
    data = {"integration": integration, "otp_data": OTP, "cashbox_code": "VM-07", **body}
    return api_client.post(f"/api/payment-invoices/{invoice.pk}/click-pass", data, format="json")


def events(invoice):
    return list(
        Webhook.objects.filter(payload__invoice_id=str(invoice.pk))
        .order_by("created_at")
        .values_list("event_type", flat=True)
    )


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


@pytest.mark.parametrize("missing", ["integration", "otp_data"])
def test_a_missing_field_is_a_400_naming_it(
    api_client, click_api, click_server, invoice_with_items, missing
):
    data = {"integration": "click-pass", "otp_data": OTP}
    del data[missing]
    response = api_client.post(
        f"/api/payment-invoices/{invoice_with_items.pk}/click-pass", data, format="json"
    )
    assert response.status_code == 400 and missing in response.json()
    assert click_server.state.requests == [] and not PaymentTransaction.objects.exists()


def test_bad_input_is_a_400(api_client, click_api, click_server, invoice_with_items):
    assert "integration" in charge(api_client, invoice_with_items, integration="nope").json()
    assert charge(api_client, invoice_with_items, otp_data="12 34").status_code == 400
    assert charge(api_client, invoice_with_items, otp_data=["1"]).status_code == 400
    # A number is not the scanned text: a JSON client may have rounded it (2^53) or dropped zeros.
    for number in (880101698207133392, 12345, 1.5, True):
        response = charge(api_client, invoice_with_items, otp_data=number)
        assert response.status_code == 400 and "otp_data" in response.json(), number
    click_api.config = {**click_api.config, "merchant_user_id": ""}
    click_api.save()
    response = charge(api_client, invoice_with_items)
    assert response.status_code == 400 and "merchant_user_id" in str(response.json())
    assert click_server.state.requests == [] and not PaymentTransaction.objects.exists()


def test_not_pending_is_a_409_and_unknown_invoice_a_404(
    api_client, click_api, click_server, invoice_with_items
):
    assert charge(api_client, invoice_with_items).json()["status"] == "paid"
    response = charge(api_client, invoice_with_items)
    assert response.status_code == 409 and response.json()["status"] == "paid"
    missing = PaymentInvoice(pk="00000000-0000-4000-8000-000000000000")
    assert charge(api_client, missing).status_code == 404
    assert len(click_server.state.calls("/click_pass/payment")) == 1


def test_refund_reverses_a_click_pass_payment(
    api_client, click_api, click_server, invoice_with_items
):
    charge(api_client, invoice_with_items)
    response = api_client.post(f"/api/payment-invoices/{invoice_with_items.pk}/refund")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "refunded"
    assert click_server.state.paths("DELETE") == [f"/payment/reversal/{fake.SERVICE_ID}/4567891234"]
    payment = PaymentTransaction.objects.get()
    assert payment.state == -2 and payment.cancel_time > 0
    assert events(invoice_with_items)[-1] == "payment.cancelled"
    # Refunded: nothing more to refund.
    again = api_client.post(f"/api/payment-invoices/{invoice_with_items.pk}/refund")
    assert again.status_code == 409


def test_refund_refused_by_click_is_a_409_and_changes_nothing(
    api_client, click_api, click_server, invoice_with_items
):
    charge(api_client, invoice_with_items)
    click_server.state.reversal_mode = "declined"
    response = api_client.post(f"/api/payment-invoices/{invoice_with_items.pk}/refund")
    assert response.status_code == 409 and "Reversal is not allowed" in response.json()["detail"]
    invoice_with_items.refresh_from_db()
    assert invoice_with_items.status == "paid"


def test_refund_of_anything_else_is_a_409(client, api_client, click_api, click_server, invoice):
    response = api_client.post(f"/api/payment-invoices/{invoice.pk}/refund")
    assert response.status_code == 409 and response.json()["status"] == "pending"
    common = {"order_id": invoice.order_id, "secret": fake.SECRET}
    common["service_id"] = str(fake.SERVICE_ID)
    prepared = click_call(client, click_api.code, click_fields(0, **common))
    click_call(
        client,
        click_api.code,
        click_fields(1, merchant_prepare_id=prepared["merchant_prepare_id"], **common),
    )
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert api_client.post(f"/api/payment-invoices/{invoice.pk}/refund").status_code == 409
    assert click_server.state.requests == []


def test_a_payment_id_click_already_used_is_never_a_500(
    client, api_client, click_api, click_server, invoice_with_items
):
    from payments.services import invoice_create

    assert charge(api_client, invoice_with_items).json()["status"] == "paid"
    # A Click (or a test server started again) that hands out the same payment_id once more.
    click_server.state.ids = itertools.count(4567891234)
    second = invoice_create(order_id="vm-07-0002", amount=1_200_000, items=ITEMS)
    response = charge(api_client, second)
    assert response.status_code == 200
    assert response.json() == {"status": "paid", "payment_id": 4567891234, "error_note": "Success"}
    second.refresh_from_db()
    assert second.status == "paid"
    payment = PaymentTransaction.objects.get(invoice=second)
    assert (payment.state, payment.click_paydoc_id) == (2, 4567891234)
    assert FiscalReceipt.objects.get(transaction=payment).payment_id == 4567891234
    # Click's Shop API callbacks for this second charge join it, not the first invoice's.
    common = {
        "order_id": "vm-07-0002",
        "amount": "12000.00",
        "secret": fake.SECRET,
        "service_id": str(fake.SERVICE_ID),
        "click_paydoc_id": "4567891234",
        "click_trans_id": "7770001",
    }
    prepared = click_call(client, click_api.code, click_fields(0, **common))
    assert prepared["error"] == 0, prepared
    payment.refresh_from_db()
    assert payment.merchant_prepare_id == prepared["merchant_prepare_id"]


def test_a_shop_api_complete_for_the_same_charge_joins_it(
    client, api_client, click_api, click_server, invoice_with_items
):
    charge(api_client, invoice_with_items)
    common = {
        "order_id": invoice_with_items.order_id,
        "amount": "12000.00",
        "secret": fake.SECRET,
        "service_id": str(fake.SERVICE_ID),
        "click_paydoc_id": "4567891234",
        "click_trans_id": "99001",
    }
    prepared = click_call(client, click_api.code, click_fields(0, **common))
    assert prepared["error"] == 0
    completed = click_call(
        client,
        click_api.code,
        click_fields(1, merchant_prepare_id=prepared["merchant_prepare_id"], **common),
    )
    assert completed["error"] == 0
    # The charge was paid before the Complete came: it is confirmed under the prepare id, as
    # any Complete is, never with a merchant_confirm_id of 0; a replay answers the same.
    assert completed["merchant_confirm_id"] == prepared["merchant_prepare_id"] != 0
    replay = click_call(
        client,
        click_api.code,
        click_fields(1, merchant_prepare_id=prepared["merchant_prepare_id"], **common),
    )
    assert replay == completed
    payment = PaymentTransaction.objects.get()
    assert payment.merchant_confirm_id == prepared["merchant_prepare_id"]
    assert payment.state == 2 and payment.provider_transaction_id == "4567891234"
    assert FiscalReceipt.objects.count() == 1
    assert events(invoice_with_items).count("payment.completed") == 1


def test_a_shop_complete_settles_a_charge_still_processing(
    client, api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = [1]
    assert charge(api_client, invoice_with_items).json()["status"] == "processing"
    common = {
        "order_id": invoice_with_items.order_id,
        "amount": "12000.00",
        "secret": fake.SECRET,
        "service_id": str(fake.SERVICE_ID),
        "click_paydoc_id": "4567891234",
        "click_trans_id": "99002",
    }
    prepared = click_call(client, click_api.code, click_fields(0, **common))
    completed = click_call(
        client,
        click_api.code,
        click_fields(1, merchant_prepare_id=prepared["merchant_prepare_id"], **common),
    )
    assert completed["error"] == 0
    assert PaymentTransaction.objects.get().state == 2
    assert click_pass_settle_due() == 0


def test_no_secret_or_auth_header_in_logs_answers_or_admin(
    admin_client, api_client, click_api, click_server, invoice_with_items, caplog, capfd
):
    charge(api_client, invoice_with_items)
    receipt = FiscalReceipt.objects.get()
    fiscal_receipt_process(receipt_id=receipt.pk)
    api_client.post(f"/api/payment-invoices/{invoice_with_items.pk}/refund")
    sent_auth = {seen.headers["Auth"] for seen in click_server.state.requests}
    digests = {value.split(":")[1] for value in sent_auth}
    forbidden = [fake.SECRET, OTP, *sent_auth, *digests]
    logs = IntegrationLog.objects.filter(integration=click_api)
    assert logs.count() >= 5
    texts = [
        f"{log.endpoint}{log.request_data}{log.response_data}{log.error_message}{log.metadata}"
        for log in logs
    ]
    responses = [
        api_client.get(f"/api/payment-invoices/{invoice_with_items.pk}"),
        api_client.get("/api/fiscal-receipts"),
        api_client.get("/api/payment-transactions"),
        admin_client.get(f"/admin/payments/paymentinvoice/{invoice_with_items.pk}/change/"),
        admin_client.get(f"/admin/payments/fiscalreceipt/{receipt.pk}/change/"),
        admin_client.get(f"/admin/integrations/integrationlog/{logs[0].pk}/change/"),
    ]
    assert [response.status_code for response in responses] == [200] * len(responses)
    pages = [response.content.decode() for response in responses]
    for text in texts + pages:
        for secret in forbidden:
            assert secret not in text
    assert all(log.request_data["headers"]["Auth"] == "[REDACTED]" for log in logs)
    # Nor in what the process printed or logged meanwhile.
    printed = "".join(capfd.readouterr()) + caplog.text
    for secret in forbidden:
        assert secret not in printed


def test_an_invoice_with_a_charge_in_flight_cannot_be_cancelled(
    api_client, click_api, click_server, invoice_with_items
):
    click_server.state.pass_mode = "processing"
    click_server.state.status_answers = [1]
    assert charge(api_client, invoice_with_items).json()["status"] == "processing"
    response = api_client.post(f"/api/payment-invoices/{invoice_with_items.pk}/cancel")
    assert response.status_code == 409 and "Click Pass" in response.json()["detail"]
    assert PaymentTransaction.objects.get().state == 1


def test_admin_refund_button_uses_the_service(
    admin_client, api_client, click_api, click_server, invoice_with_items, invoice
):
    page = admin_client.get(f"/admin/payments/paymentinvoice/{invoice.pk}/change/")
    assert "Refund Click Pass payment" not in page.content.decode()
    charge(api_client, invoice_with_items)
    change = f"/admin/payments/paymentinvoice/{invoice_with_items.pk}/change/"
    assert "Refund Click Pass payment" in admin_client.get(change).content.decode()
    url = f"/admin/payments/paymentinvoice/{invoice_with_items.pk}/button/refund/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url).status_code == 302
    invoice_with_items.refresh_from_db()
    assert invoice_with_items.status == "refunded"
    response = admin_client.post(
        "/admin/payments/paymentinvoice/",
        {"action": "refund_selected", "_selected_action": [str(invoice_with_items.pk)]},
        follow=True,
    )
    assert "Not refunded" in response.content.decode()
    assert len(click_server.state.paths("DELETE")) == 1
