"""Payme SetFiscalData (gateways.md 5.1) and what outside code sees of receipts: the fiscal
receipts API with its filters, the invoice's fiscal_receipts, the admin and the dashboard."""

from __future__ import annotations

import pytest

from payments.models import FiscalReceipt
from payments.tests.helpers import AMOUNT, ORDER_ID, basic, payme_call

pytestmark = pytest.mark.django_db

PAYME_ID = "6964a1b2c3d4e5f607182930"
FISCAL = {
    "receipt_id": 121,
    "status_code": 0,
    "message": "accepted",
    "terminal_id": "EP000000000025",
    "fiscal_sign": "800031554082",
    "date": "20260115140321",
    "qr_code_url": "https://ofd.soliq.uz/epi?t=EP000000000025&r=121&c=20260115140321&s=800031554082",
}


@pytest.fixture
def performed(client, payme, invoice):
    params = {"id": PAYME_ID, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
    return payme


def set_fiscal(client, code, type_="PERFORM", fiscal=None, payme_id=PAYME_ID, **kwargs):
    params = {"id": payme_id, "type": type_, "fiscal_data": FISCAL if fiscal is None else fiscal}
    return payme_call(client, code, "SetFiscalData", params, request_id=2045, **kwargs)


def test_the_worked_example_stores_a_fiscalized_sale_receipt(client, performed, invoice):
    answer = set_fiscal(client, performed.code)
    assert answer == {"jsonrpc": "2.0", "id": 2045, "result": {"success": True}}
    receipt = FiscalReceipt.objects.get()
    assert (receipt.kind, receipt.status, receipt.provider) == ("sale", "fiscalized", "payme")
    assert (receipt.receipt_id, receipt.terminal_id, receipt.fiscal_sign) == (
        "121",
        "EP000000000025",
        "800031554082",
    )
    assert receipt.provider_status_code == 0 and receipt.warnings == []
    assert receipt.invoice_id == invoice.id
    body = client.get(f"/api/fiscal-receipts/{receipt.pk}")  # no key
    assert body.status_code in (401, 403)


def test_api_shape_time_and_filters(client, api_client, performed, invoice):
    set_fiscal(client, performed.code)
    receipt = FiscalReceipt.objects.get()
    shown = api_client.get(f"/api/fiscal-receipts/{receipt.pk}").json()
    assert set(shown) == {
        "id",
        "invoice_id",
        "transaction_id",
        "provider",
        "kind",
        "status",
        "receipt_id",
        "terminal_id",
        "fiscal_sign",
        "qr_code_url",
        "fiscalized_at",
        "error_message",
        "created_at",
        "updated_at",
    }
    from datetime import datetime

    assert datetime.fromisoformat(shown["fiscalized_at"]) == datetime.fromisoformat(
        "2026-01-15T14:03:21+05:00"
    )
    assert shown["invoice_id"] == str(invoice.pk)
    listing = api_client.get("/api/fiscal-receipts").json()
    assert [item["id"] for item in listing["results"]] == [str(receipt.pk)]
    assert "next" in listing
    for query, count in [
        ({"invoice": str(invoice.pk)}, 1),
        ({"invoice": "00000000-0000-4000-8000-000000000000"}, 0),
        ({"provider": "payme"}, 1),
        ({"provider": "click"}, 0),
        ({"status": "fiscalized"}, 1),
        ({"status": "failed"}, 0),
        ({"kind": "sale"}, 1),
        ({"kind": "refund"}, 0),
    ]:
        assert len(api_client.get("/api/fiscal-receipts", query).json()["results"]) == count
    bad = api_client.get("/api/fiscal-receipts", {"status": "nope"})
    assert bad.status_code == 400 and "status" in bad.json()
    assert api_client.get("/api/fiscal-receipts", {"invoice": "x"}).status_code == 400
    invoice_json = api_client.get(f"/api/payment-invoices/{invoice.pk}").json()
    assert invoice_json["fiscal_receipts"] == [shown]


def test_cancel_is_a_separate_refund_receipt(client, performed):
    set_fiscal(client, performed.code)
    payme_call(client, performed.code, "CancelTransaction", {"id": PAYME_ID, "reason": 5})
    refund = {**FISCAL, "receipt_id": 122, "fiscal_sign": "800031554099"}
    refund["qr_code_url"] = (
        str(FISCAL["qr_code_url"])
        .replace("r=121", "r=122")
        .replace("s=800031554082", "s=800031554099")
    )
    assert set_fiscal(client, performed.code, "CANCEL", refund)["result"] == {"success": True}
    kinds = dict(FiscalReceipt.objects.values_list("kind", "receipt_id"))
    assert kinds == {"sale": "121", "refund": "122"}


def test_a_nonzero_status_code_is_success_true_and_a_failed_receipt(client, performed):
    failed = {**FISCAL, "status_code": 3, "message": "OFD unavailable"}
    assert set_fiscal(client, performed.code, fiscal=failed)["result"] == {"success": True}
    receipt = FiscalReceipt.objects.get()
    assert (receipt.status, receipt.error_message, receipt.provider_status_code) == (
        "failed",
        "OFD unavailable",
        3,
    )


def test_a_repeat_updates_the_same_receipt_and_keeps_the_earlier_payload(client, performed):
    set_fiscal(client, performed.code, fiscal={**FISCAL, "status_code": 3, "message": "later"})
    set_fiscal(client, performed.code)
    receipt = FiscalReceipt.objects.get()
    assert receipt.status == "fiscalized" and receipt.error_message == ""
    assert [payload["body"]["status_code"] for payload in receipt.payloads] == [3, 0]


def test_unknown_transaction_is_32001(client, performed):
    answer = set_fiscal(client, performed.code, payme_id="f" * 24)
    assert answer["error"]["code"] == -32001
    assert answer["error"]["message"]["en"] == "Receipt not found"
    assert not FiscalReceipt.objects.exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"id": PAYME_ID, "type": "SALE", "fiscal_data": FISCAL}, "type"),
        ({"id": 5, "type": "PERFORM", "fiscal_data": FISCAL}, "id"),
        ({"id": PAYME_ID, "type": "PERFORM"}, "fiscal_data"),
        ({"id": PAYME_ID, "type": "PERFORM", "fiscal_data": []}, "fiscal_data"),
        (
            {"id": PAYME_ID, "type": "PERFORM", "fiscal_data": {**FISCAL, "status_code": "0"}},
            "fiscal_data.status_code",
        ),
        (
            {"id": PAYME_ID, "type": "PERFORM", "fiscal_data": {**FISCAL, "date": "2026-01-15"}},
            "fiscal_data.date",
        ),
        (
            {"id": PAYME_ID, "type": "PERFORM", "fiscal_data": {**FISCAL, "terminal_id": {}}},
            "fiscal_data.terminal_id",
        ),
    ],
)
def test_bad_params_are_32602_naming_the_field(client, performed, params, field):
    answer = payme_call(client, performed.code, "SetFiscalData", params)
    assert answer["error"]["code"] == -32602
    assert answer["error"]["data"] == field
    assert not FiscalReceipt.objects.exists()


def test_params_not_an_object_is_32602(client, performed):
    answer = payme_call(client, performed.code, "SetFiscalData", ["x"])
    assert answer["error"]["code"] == -32602


def test_bad_auth_is_32504_and_stores_nothing(client, performed):
    answer = set_fiscal(client, performed.code, authorization=basic("guess"))
    assert answer["error"]["code"] == -32504
    assert not FiscalReceipt.objects.exists()


def test_unexpected_state_and_url_mismatch_are_stored_and_flagged(client, payme, invoice):
    params = {"id": PAYME_ID, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    answer = set_fiscal(client, payme.code, fiscal={**FISCAL, "fiscal_sign": "999999999999"})
    assert answer["result"] == {"success": True}
    receipt = FiscalReceipt.objects.get()
    assert len(receipt.warnings) == 2
    assert any("state 1" in warning for warning in receipt.warnings)
    assert any("fiscal_sign" in warning for warning in receipt.warnings)


def test_admin_shows_receipts_with_their_qr_and_the_dashboard_counts(
    client, admin_client, performed, invoice
):
    set_fiscal(client, performed.code)
    receipt = FiscalReceipt.objects.get()
    listing = admin_client.get("/admin/payments/fiscalreceipt/", {"status__exact": "fiscalized"})
    assert listing.status_code == 200 and "EP000000000025" in listing.content.decode()
    page = admin_client.get(f"/admin/payments/fiscalreceipt/{receipt.pk}/change/").content.decode()
    assert "<svg" in page and "800031554082" in page
    invoice_page = admin_client.get(
        f"/admin/payments/paymentinvoice/{invoice.pk}/change/"
    ).content.decode()
    assert "Fiscal receipts" in invoice_page and "payme sale receipt" in invoice_page
    assert invoice_page.count("<svg") >= 1
    dashboard = admin_client.get("/admin/").content.decode()
    assert 'class="vh-fiscal-pending">0<' in dashboard
    FiscalReceipt.objects.update(status="failed")
    dashboard = admin_client.get("/admin/").content.decode()
    assert 'class="vh-fiscal-pending">1<' in dashboard and "1 failed" in dashboard
