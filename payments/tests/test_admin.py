"""The payments admin: lists with filters, an invoice's page with its links and QR codes, the
cancel action and button (the API's service), and adding an invoice."""

from __future__ import annotations

import pytest

from payments.models import InvoiceStatus, PaymentInvoice
from payments.services import invoice_create
from payments.tests.helpers import AMOUNT, ORDER_ID, payme_call

pytestmark = pytest.mark.django_db


def test_lists_and_filters(admin_client, payme, invoice, client):
    params = {"id": "k" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    invoices = admin_client.get("/admin/payments/paymentinvoice/", {"status__exact": "pending"})
    assert invoices.status_code == 200
    assert ORDER_ID in invoices.content.decode()
    none = admin_client.get("/admin/payments/paymentinvoice/", {"status__exact": "paid"})
    assert ORDER_ID not in none.content.decode()
    transactions = admin_client.get(
        "/admin/payments/paymenttransaction/", {"provider__exact": "payme", "state__exact": "1"}
    )
    assert "k" * 24 in transactions.content.decode()
    empty = admin_client.get("/admin/payments/paymenttransaction/", {"state__exact": "2"})
    assert "k" * 24 not in empty.content.decode()


def test_invoice_page_shows_links_and_qr_codes(admin_client, payme, click, invoice):
    page = admin_client.get(f"/admin/payments/paymentinvoice/{invoice.id}/change/").content.decode()
    assert page.count('class="segno"') == 2
    assert "https://checkout.paycom.uz/" in page
    assert "https://my.click.uz/services/pay?service_id=28420" in page
    assert "Cancel invoice" in page


def test_cancel_button_and_action_use_the_service(admin_client, invoice):
    url = f"/admin/payments/paymentinvoice/{invoice.id}/button/cancel/"
    assert admin_client.get(url).status_code == 200  # the confirmation page
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert admin_client.post(url).status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED

    paid = invoice_create(order_id="paid-1", amount=100)
    PaymentInvoice.objects.filter(pk=paid.pk).update(status=InvoiceStatus.PAID)
    other = invoice_create(order_id="other-1", amount=100)
    response = admin_client.post(
        "/admin/payments/paymentinvoice/",
        {"action": "cancel_selected", "_selected_action": [str(paid.id), str(other.id)]},
        follow=True,
    )
    assert "Cancelled 1 invoice(s); skipped 1" in response.content.decode()
    other.refresh_from_db()
    paid.refresh_from_db()
    assert (other.status, paid.status) == (InvoiceStatus.CANCELLED, InvoiceStatus.PAID)


def test_add_an_invoice(admin_client):
    response = admin_client.post(
        "/admin/payments/paymentinvoice/add/",
        {"order_id": "adm-1", "amount": "2500", "description": "Snack", "items": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invoice = PaymentInvoice.objects.get(order_id="adm-1")
    assert (invoice.amount, invoice.status, invoice.items) == (2500, "pending", [])
    duplicate = admin_client.post(
        "/admin/payments/paymentinvoice/add/", {"order_id": "adm-1", "amount": "2500"}
    )
    assert duplicate.status_code == 200
    assert PaymentInvoice.objects.count() == 1
    bad_items = admin_client.post(
        "/admin/payments/paymentinvoice/add/",
        {"order_id": "adm-2", "amount": "2500", "items": '[{"title": "x"}]'},
    )
    assert bad_items.status_code == 200
    assert not PaymentInvoice.objects.filter(order_id="adm-2").exists()


def test_add_an_invoice_that_expired_already_is_refused_on_the_form(admin_client):
    response = admin_client.post(
        "/admin/payments/paymentinvoice/add/",
        {
            "order_id": "adm-3",
            "amount": "2500",
            "expires_at_0": "2020-01-01",
            "expires_at_1": "10:00",
        },
    )

    assert response.status_code == 200
    assert "Must be in the future" in response.content.decode()
    assert not PaymentInvoice.objects.filter(order_id="adm-3").exists()
