"""Click Pass through the API: the 400/404/409 rules of a charge, refunds (through the API and the
admin's button), and no cancelling an invoice with a charge in flight."""

from __future__ import annotations

import pytest

from payments.models import PaymentInvoice, PaymentTransaction
from payments.tests import click_server as fake
from payments.tests.helpers import OTP, charge, click_call, click_fields, events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_poll(settings):
    settings.CLICK_PASS_POLL_SECONDS = 0.6
    settings.CLICK_PASS_POLL_INTERVAL = 0.05


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
