"""The invoice and transaction API: create, validation, list, filters, cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.tests.helpers import AMOUNT, ORDER_ID, payme_call

pytestmark = pytest.mark.django_db

INVOICE_FIELDS = {
    "id",
    "order_id",
    "amount",
    "currency",
    "status",
    "description",
    "paid_at",
    "provider",
    "provider_transaction_id",
    "created_at",
    "checkout_urls",
    "items",
    "expires_at",
    "fiscal_receipts",
}
ITEM = {
    "title": "Cappuccino",
    "price": 75_000,
    "count": 2,
    "code": "02101001001000000",
    "package_code": "1184778",
    "vat_percent": 12,
}


def post_invoice(api_client, **data):
    body = {"order_id": ORDER_ID, "amount": AMOUNT, **data}
    return api_client.post("/api/payment-invoices", body, format="json")


def test_create_returns_201_with_the_contract_fields(api_client):
    response = post_invoice(api_client, description="Machine #12", items=[ITEM])
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == INVOICE_FIELDS
    assert body["order_id"] == ORDER_ID
    assert body["amount"] == AMOUNT
    assert (body["currency"], body["status"]) == ("UZS", "pending")
    assert body["items"] == [ITEM]
    assert body["paid_at"] is None and body["provider"] is None
    assert body["checkout_urls"] == {}
    assert PaymentInvoice.objects.get(pk=body["id"]).amount == AMOUNT


def test_duplicate_order_id_is_400_naming_it(api_client):
    assert post_invoice(api_client).status_code == 201
    response = post_invoice(api_client)
    assert response.status_code == 400
    assert "order_id" in response.json()
    assert PaymentInvoice.objects.count() == 1


def test_items_that_do_not_add_up_are_400_naming_items(api_client):
    response = post_invoice(api_client, items=[{**ITEM, "count": 1}])
    assert response.status_code == 400
    assert "items" in response.json()
    assert PaymentInvoice.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": 1500.5}, "amount"),
        ({"amount": 1500.0}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10**20}, "amount"),
        ({"amount": None}, "amount"),
        ({"order_id": ""}, "order_id"),
        ({"order_id": "has space"}, "order_id"),
        ({"order_id": "a;b"}, "order_id"),
        ({"order_id": "x" * 129}, "order_id"),
        ({"order_id": "nul\x00"}, "order_id"),
        ({"currency": "USD"}, "currency"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "2020-01-01T00:00:00"}, "expires_at"),
        ({"items": "x"}, "items"),
        ({"items": [{**ITEM, "code": "123"}]}, "items"),
        ({"items": [{**ITEM, "price": 1.5}]}, "items"),
        ({"items": [{key: v for key, v in ITEM.items() if key != "title"}]}, "items"),
        ({"items": [{**ITEM, "vat_percent": 101}]}, "items"),
    ],
)
def test_bad_input_is_400_naming_the_field(api_client, data, field):
    response = post_invoice(api_client, **data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert PaymentInvoice.objects.count() == 0


def test_expires_at_in_the_past_is_400_naming_it_and_in_the_future_is_kept(api_client):
    past = (timezone.now() - timedelta(seconds=5)).isoformat()
    refused = post_invoice(api_client, expires_at=past)
    assert refused.status_code == 400, refused.content
    assert "past" in str(refused.json()["expires_at"])

    future = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    accepted = post_invoice(api_client, expires_at=future.isoformat())
    assert accepted.status_code == 201, accepted.content
    assert PaymentInvoice.objects.get().expires_at == future


def test_a_body_that_is_not_an_object_is_400(api_client):
    response = api_client.post("/api/payment-invoices", [1, 2], format="json")
    assert response.status_code == 400


def test_list_get_and_filters(api_client, invoice):
    other = post_invoice(api_client, order_id="order-2").json()
    listing = api_client.get("/api/payment-invoices")
    assert listing.status_code == 200
    body = listing.json()
    assert {row["id"] for row in body["results"]} == {str(invoice.id), other["id"]}
    assert "next" in body
    assert api_client.get("/api/payment-invoices/").status_code == 200
    single = api_client.get(f"/api/payment-invoices/{invoice.id}")
    assert single.json()["order_id"] == ORDER_ID
    assert set(single.json()) == INVOICE_FIELDS
    filtered = api_client.get("/api/payment-invoices", {"order_id": "order-2"}).json()
    assert [row["id"] for row in filtered["results"]] == [other["id"]]
    assert api_client.get("/api/payment-invoices", {"status": "paid"}).json()["results"] == []
    assert (
        api_client.get("/api/payment-invoices/00000000-0000-0000-0000-000000000000").status_code
        == 404
    )


def test_the_api_needs_a_key(anonymous_client, invoice):
    assert anonymous_client.get("/api/payment-invoices").status_code in (401, 403)
    assert anonymous_client.get("/api/payment-transactions").status_code in (401, 403)
    response = anonymous_client.post(f"/api/payment-invoices/{invoice.id}/cancel")
    assert response.status_code in (401, 403)


def test_cancel_a_pending_invoice(api_client, invoice):
    response = api_client.post(f"/api/payment-invoices/{invoice.id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api_client.post(f"/api/payment-invoices/{invoice.id}/cancel/").status_code == 200


def test_cancel_a_paid_invoice_is_409(api_client, client, payme, invoice):
    payme_call(
        client,
        payme.code,
        "CreateTransaction",
        {"id": "a" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}},
    )
    payme_call(client, payme.code, "PerformTransaction", {"id": "a" * 24})
    response = api_client.post(f"/api/payment-invoices/{invoice.id}/cancel")
    assert response.status_code == 409
    assert response.json()["status"] == "paid"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_cancel_cancels_a_payment_in_flight(api_client, client, payme, invoice):
    params = {"id": "b" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    assert api_client.post(f"/api/payment-invoices/{invoice.id}/cancel").status_code == 200
    payment = PaymentTransaction.objects.get()
    assert (payment.state, payment.reason) == (-1, 3)
    answer = payme_call(client, payme.code, "PerformTransaction", {"id": "b" * 24})
    assert answer["error"]["code"] == -31008


def test_transactions_list_with_filters(api_client, client, payme, invoice):
    params = {"id": "c" * 24, "time": 5, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    payment = PaymentTransaction.objects.get()
    body = api_client.get("/api/payment-transactions").json()
    assert body["results"] == [
        {
            "id": str(payment.id),
            "provider": "payme",
            "provider_transaction_id": "c" * 24,
            "invoice_id": str(invoice.id),
            "integration_id": str(payme.id),
            "amount": AMOUNT,
            "state": 1,
            "create_time": payment.create_time,
            "perform_time": 0,
            "cancel_time": 0,
            "reason": None,
            "created_at": body["results"][0]["created_at"],
        }
    ]
    for query, expected in [
        ({"provider": "payme"}, 1),
        ({"provider": "click"}, 0),
        ({"state": 1}, 1),
        ({"state": -1}, 0),
        ({"invoice": str(invoice.id)}, 1),
        ({"invoice": "00000000-0000-0000-0000-000000000000"}, 0),
    ]:
        assert len(api_client.get("/api/payment-transactions", query).json()["results"]) == expected
    assert api_client.get("/api/payment-transactions", {"invoice": "nope"}).status_code == 400
    assert api_client.post("/api/payment-transactions", {}).status_code == 405


def test_schema_describes_the_payment_endpoints(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    for path in [
        "/api/payment-invoices",
        "/api/payment-invoices/{id}/cancel",
        "/api/payment-invoices/{id}/qr",
        "/api/payment-transactions",
    ]:
        assert any(key.rstrip("/") == path for key in schema["paths"]), path
