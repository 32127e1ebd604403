"""What the Uzum tests share: the integration of gateways.md 1.6, a caller that speaks Uzum's
protocol to ``/api/webhooks/receive/<code>/<operation>``, and the calls the error tests repeat."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.test import Client

UZUM_CODE = "uzum-vm07"
UZUM_LOGIN = "uzum-vm07"
UZUM_PASSWORD = "Vx9-tQ2r-7Lp"
SERVICE_ID = 101202
ORDER = "VM07-20260115-0042"
AMOUNT = 1_200_000
TRANS_ID = "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93"
OTHER_ID = "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a"
# gateways.md 1.6, computed there from the login and password above.
AUTHORIZATION = "Basic dXp1bS12bTA3OlZ4OS10UTJyLTdMcA=="


def uzum_basic(login: str = UZUM_LOGIN, password: str = UZUM_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def uzum_integration(**overrides: Any) -> Any:
    from integrations.tests.factories import IntegrationFactory

    config = {"service_id": SERVICE_ID, **overrides.pop("config", {})}
    fields: dict[str, Any] = {
        "code": UZUM_CODE,
        "provider": "uzum",
        "type": "payment_gateway",
        "api_key": UZUM_LOGIN,
        "api_secret": UZUM_PASSWORD,
        "config": config,
        **overrides,
    }
    return IntegrationFactory(**fields)


def uzum_post(
    client: Client,
    operation: str,
    body: Any,
    *,
    code: str = UZUM_CODE,
    authorization: str | None = AUTHORIZATION,
    raw: bytes | None = None,
    method: str = "post",
) -> tuple[int, dict[str, Any]]:
    """Send one call; (HTTP status, the answer's JSON)."""
    headers = {"Authorization": authorization} if authorization is not None else {}
    url = (
        f"/api/webhooks/receive/{code}/{operation}"
        if operation
        else (f"/api/webhooks/receive/{code}")
    )
    data = raw if raw is not None else json.dumps(body).encode()
    response = client.generic(
        method.upper(), url, data=data, content_type="application/json", headers=headers
    )
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.status_code, response.json()


def body(operation: str, **fields: Any) -> dict[str, Any]:
    """A well-formed request of ``operation`` for the worked exchange's invoice."""
    base: dict[str, Any] = {"serviceId": SERVICE_ID, "timestamp": 1768467790120}
    if operation in ("check", "create"):
        base["params"] = {"order_id": ORDER}
    if operation != "check":
        base["transId"] = TRANS_ID
    if operation == "create":
        base["amount"] = AMOUNT
    if operation == "confirm":
        base.update(
            paymentSource="UZCARD",
            tariff=None,
            processingReferenceNumber="601512345678",
            phone="998901234567",
            cardType=None,
        )
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


def error_of(status: int, answer: dict[str, Any]) -> str:
    """The errorCode of an error answer, after checking its shape (HTTP 400, a string code)."""
    assert status == 400, answer
    assert answer["status"] == "FAILED"
    assert isinstance(answer["errorCode"], str)
    assert isinstance(answer["timestamp"], int)
    return str(answer["errorCode"])


def code_of(client, operation: str, payload: Any = None, **kwargs: Any) -> str:
    status, answer = uzum_post(
        client, operation, body(operation) if payload is None else payload, **kwargs
    )
    return error_of(status, answer)


def create(client, trans_id: str = TRANS_ID, **fields: Any) -> tuple[int, dict[str, Any]]:
    return uzum_post(client, "create", body("create", transId=trans_id, **fields))


def created_and_confirmed(client) -> None:
    assert create(client)[0] == 200
    assert uzum_post(client, "confirm", body("confirm"))[0] == 200
