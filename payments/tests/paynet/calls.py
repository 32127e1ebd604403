"""What the Paynet tests share: the worked exchange's integration and invoice (gateways.md 2.6),
a caller that speaks Paynet's JSON-RPC to the receive URL, one per method, and the check that a
refused call wrote nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.test import Client

from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.tests.helpers import gateway_integration, receive_url
from webhooks.models import Webhook

CODE = "paynet-vm07"
LOGIN = "paynet-vm07"
PASSWORD = "Kd4-mW8z-3Hs"
SERVICE_ID = 4321
ORDER = "VM07-20260115-0042"
TIYIN = 1_200_000
DESCRIPTION = "Vending VM-07, order 0042"
PAYNET_ID = 884120371
# The header of gateways.md 2.6, as written there.
AUTHORIZATION = "Basic cGF5bmV0LXZtMDc6S2Q0LW1XOHotM0hz"


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def paynet_integration(**overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "code": CODE,
        "provider": "paynet",
        "status": "active",
        "api_key": LOGIN,
        "api_secret": PASSWORD,
        "config": {"service_id": SERVICE_ID},
    }
    fields.update(overrides)
    return gateway_integration(**fields)


def post_raw(
    client: Client,
    body: bytes | str,
    *,
    code: str = CODE,
    authorization: str | None = AUTHORIZATION,
    method: str = "post",
) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    if method == "get":
        return client.get(receive_url(code), headers=headers)
    send = getattr(client, method)
    return send(receive_url(code), data=body, content_type="application/json", headers=headers)


def rpc(
    client: Client,
    method: str,
    params: Any,
    *,
    request_id: Any = 1,
    code: str = CODE,
    authorization: str | None = AUTHORIZATION,
) -> dict[str, Any]:
    """POST one call; its answer's JSON (after asserting HTTP 200)."""
    envelope = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    response = post_raw(client, json.dumps(envelope), code=code, authorization=authorization)
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


def perform_params(
    transaction_id: int = PAYNET_ID, *, amount: Any = TIYIN, order: Any = ORDER
) -> dict[str, Any]:
    return {
        "serviceId": SERVICE_ID,
        "transactionId": transaction_id,
        "transactionTime": "2026-01-15 14:03:13",
        "amount": amount,
        "fields": {"order_id": order},
    }


def error_code(answer: dict[str, Any]) -> int | None:
    error = answer.get("error")
    return error["code"] if error else None


def perform(client: Any, transaction_id: int = PAYNET_ID, **kwargs: Any) -> dict[str, Any]:
    return rpc(client, "PerformTransaction", perform_params(transaction_id, **kwargs))


def check(client: Any, transaction_id: int = PAYNET_ID) -> dict[str, Any]:
    params = {"serviceId": SERVICE_ID, "transactionId": transaction_id, "timestamp": "x"}
    return rpc(client, "CheckTransaction", params)


def cancel(client: Any, transaction_id: int = PAYNET_ID) -> dict[str, Any]:
    params = {"serviceId": SERVICE_ID, "transactionId": transaction_id, "timestamp": "x"}
    return rpc(client, "CancelTransaction", params)


def statement(client: Any, date_from: Any, date_to: Any) -> dict[str, Any]:
    params = {"serviceId": SERVICE_ID, "dateFrom": date_from, "dateTo": date_to}
    return rpc(client, "GetStatement", params)


def information(client: Any, order: Any = ORDER) -> dict[str, Any]:
    return rpc(client, "GetInformation", {"serviceId": SERVICE_ID, "fields": {"order_id": order}})


def nothing_changed(invoice: PaymentInvoice) -> bool:
    invoice.refresh_from_db()
    return (
        invoice.status == InvoiceStatus.PENDING
        and not PaymentTransaction.objects.exists()
        and not Webhook.objects.exists()
    )
