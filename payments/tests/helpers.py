"""What the payments tests share: the Payme and Click credentials of the test integrations, the
worked order, callers that speak each gateway's protocol to the receive URL (and Payme's
CreateTransaction of the worked order, with the check that a refused call wrote nothing), a Click
Pass charge through the API with the events an invoice emitted, and a run of gateway_check. The
conftest imports this module before the apps are ready: models are imported inside the functions
that use them."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.management import call_command
from django.test import Client

if TYPE_CHECKING:
    from payments.models import PaymentInvoice

PAYME_KEY = "payme-cash-register-key-&3Xq9"
PAYME_MERCHANT = "5e730e8e0b852a417aa49ceb"
CLICK_SECRET = "click-secret-key-Zk81Lm"
CLICK_SERVICE_ID = "28420"
CLICK_MERCHANT_ID = "11235"
ORDER_ID = "order-1001"
AMOUNT = 150_000  # tiyin: 1500.00 soums


def receive_url(code: str) -> str:
    return f"/api/webhooks/receive/{code}"


def basic(key: str, login: str = "Paycom") -> str:
    return "Basic " + base64.b64encode(f"{login}:{key}".encode()).decode()


def payme_call(
    client: Client,
    code: str,
    method: str,
    params: Any,
    *,
    key: str = PAYME_KEY,
    request_id: Any = 1,
    authorization: str | None = None,
) -> dict[str, Any]:
    """POST one JSON-RPC call; the answer's JSON (after asserting HTTP 200)."""
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    response = client.post(
        receive_url(code),
        data=body,
        content_type="application/json",
        headers={"Authorization": authorization if authorization is not None else basic(key)},
    )
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


# The Payme transaction of the worked order.
PAYME_ID = "5305e3bab097f420a62ced0b"
ACCOUNT = {"order_id": ORDER_ID}


def create(client, code, payme_id=PAYME_ID, **overrides):
    params = {"id": payme_id, "time": 1_700_000_000_000, "amount": AMOUNT, "account": ACCOUNT}
    params.update(overrides)
    return payme_call(client, code, "CreateTransaction", params)


def raw_post(client, code, body, *, method="post", content_type="application/json"):
    response = getattr(client, method)(
        receive_url(code),
        data=body,
        content_type=content_type,
        headers={"Authorization": basic(PAYME_KEY)},
    )
    assert response.status_code == 200
    return response.json()


def nothing_changed(invoice):
    from payments.models import InvoiceStatus, PaymentTransaction
    from webhooks.models import Webhook

    invoice.refresh_from_db()
    return (
        PaymentTransaction.objects.count() == 0
        and invoice.status == InvoiceStatus.PENDING
        and Webhook.objects.count() == 0
    )


def click_sign(fields: dict[str, Any], secret: str = CLICK_SECRET) -> str:
    parts = [fields["click_trans_id"], fields["service_id"], secret, fields["merchant_trans_id"]]
    if str(fields["action"]) == "1":
        parts.append(fields["merchant_prepare_id"])
    parts += [fields["amount"], fields["action"], fields["sign_time"]]
    return hashlib.md5("".join(str(part) for part in parts).encode()).hexdigest()


def click_fields(
    action: int,
    *,
    click_trans_id: str = "2050001",
    order_id: str = ORDER_ID,
    amount: str = "1500.00",
    merchant_prepare_id: Any = None,
    error: str = "0",
    secret: str = CLICK_SECRET,
    service_id: str = CLICK_SERVICE_ID,
    **overrides: Any,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "click_trans_id": click_trans_id,
        "service_id": service_id,
        "click_paydoc_id": "3150001",
        "merchant_trans_id": order_id,
        "amount": amount,
        "action": str(action),
        "error": error,
        "error_note": "Success" if error == "0" else "Card declined",
        "sign_time": "2025-02-10 12:00:05",
    }
    if action == 1:
        fields["merchant_prepare_id"] = str(merchant_prepare_id)
    fields["sign_string"] = click_sign(fields, secret)
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def click_call(client: Client, code: str, fields: dict[str, Any]) -> dict[str, Any]:
    """POST the fields form-encoded, as Click does; the answer's JSON (after asserting 200)."""
    response = client.post(
        receive_url(code),
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


def gateway_integration(**fields: Any) -> Any:
    from integrations.tests.factories import IntegrationFactory

    return IntegrationFactory(type="payment_gateway", **fields)


ITEMS = [
    {
        "title": "Latte 0.3 l, pcs",
        "price": 600_000,
        "count": 2,
        "code": "10899001001000000",
        "package_code": "1514296",
        "vat_percent": 12,
    }
]

# The otp_data of a Click Pass charge: the code scanned from the customer's phone.
OTP = "880101698207133392"


def charge(api_client, invoice, integration="click-pass", **body):
    data = {"integration": integration, "otp_data": OTP, "cashbox_code": "VM-07", **body}
    return api_client.post(f"/api/payment-invoices/{invoice.pk}/click-pass", data, format="json")


def events(invoice):
    from webhooks.models import Webhook

    return list(
        Webhook.objects.filter(payload__invoice_id=str(invoice.pk))
        .order_by("created_at")
        .values_list("event_type", flat=True)
    )


# gateway_check: the secrets of its Uzum and Paynet integrations, a run of the command, its lines.
UZUM_SECRET = "Vx9-tQ2r-7Lp"
PAYNET_SECRET = "Kd4-mW8z-3Hs"


def gateway_check(*args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of the command."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("gateway_check", *args, stdout=out, stderr=err, no_color=True)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, out.getvalue(), err.getvalue()


def step_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": ok" in line or ": FAIL" in line]


def check_invoices() -> list[PaymentInvoice]:
    from payments.models import PaymentInvoice

    return list(PaymentInvoice.objects.filter(order_id__startswith="gwcheck-"))
