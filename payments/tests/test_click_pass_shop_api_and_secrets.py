"""Click Pass next to Click's Shop API: a payment id Click hands out again, a Shop API Complete for
the same charge joining it or settling it, and no secret in logs, answers or the admin."""

from __future__ import annotations

import itertools

import pytest

from integrations.models import IntegrationLog
from payments.models import FiscalReceipt, PaymentTransaction
from payments.services import click_pass_settle_due, fiscal_receipt_process
from payments.tests import click_server as fake
from payments.tests.helpers import ITEMS, OTP, charge, click_call, click_fields, events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_poll(settings):
    settings.CLICK_PASS_POLL_SECONDS = 0.6
    settings.CLICK_PASS_POLL_INTERVAL = 0.05


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
