"""gateways.md 1.6, the worked exchange of Uzum's Merchant API, as a test vector: each request
as Uzum sends it, each answer equal to the documented one (the hub's clock set to its times)."""

# ruff: noqa: E501 (the vectors stay one line each, as gateways.md prints them)

from __future__ import annotations

import json

import pytest
import time_machine

from integrations.models import IntegrationLog
from payments.models import InvoiceStatus, PaymentTransaction
from payments.services import invoice_create
from payments.services.events import datetime_of_ms
from payments.tests.uzum.helpers import (
    AUTHORIZATION,
    UZUM_LOGIN,
    UZUM_PASSWORD,
    uzum_basic,
    uzum_integration,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/receive/uzum-vm07/"

EXCHANGE = [
    (
        "check",
        1768467790187,
        '{"serviceId": 101202, "timestamp": 1768467790120, "params": {"order_id": "VM07-20260115-0042"}}',
        '{"serviceId": 101202, "timestamp": 1768467790187, "status": "OK", "data": {"account": {"value": "VM07-20260115-0042"}, "amount": {"value": "12000"}}}',
    ),
    (
        "create",
        1768467791455,
        '{"serviceId": 101202, "timestamp": 1768467791402, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93", "params": {"order_id": "VM07-20260115-0042"}, "amount": 1200000}',
        '{"serviceId": 101202, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93", "status": "CREATED", "transTime": 1768467791455, "data": {"account": {"value": "VM07-20260115-0042"}}, "amount": 1200000}',
    ),
    (
        "confirm",
        1768467794210,
        '{"serviceId": 101202, "timestamp": 1768467794031, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93", "paymentSource": "UZCARD", "tariff": null, "processingReferenceNumber": "601512345678", "phone": "998901234567", "cardType": null}',
        '{"serviceId": 101202, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93", "status": "CONFIRMED", "confirmTime": 1768467794210, "data": {"account": {"value": "VM07-20260115-0042"}}, "amount": 1200000}',
    ),
    (
        "status",
        1768467799050,
        '{"serviceId": 101202, "timestamp": 1768467799000, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93"}',
        '{"serviceId": 101202, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93", "status": "CONFIRMED", "transTime": 1768467791455, "confirmTime": 1768467794210, "reverseTime": null, "data": {}, "amount": 1200000}',
    ),
    (
        "reverse",
        1768477202611,
        '{"serviceId": 101202, "timestamp": 1768477202500, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93"}',
        '{"serviceId": 101202, "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93", "status": "REVERSED", "reverseTime": 1768477202611, "data": {}, "amount": 1200000}',
    ),
]


def send(client, operation: str, at_ms: int, request: str, **extra):
    with time_machine.travel(datetime_of_ms(at_ms), tick=False):
        return client.post(
            URL + operation,
            data=request.encode(),
            content_type="application/json",
            headers={"Authorization": AUTHORIZATION},
            **extra,
        )


def test_the_authorization_header_is_the_documented_one():
    assert uzum_basic(UZUM_LOGIN, UZUM_PASSWORD) == AUTHORIZATION


def test_worked_exchange(client):
    uzum_integration()
    invoice = invoice_create(order_id="VM07-20260115-0042", amount=1_200_000)
    for operation, at_ms, request, expected in EXCHANGE:
        response = send(client, operation, at_ms, request)
        assert response.status_code == 200, (operation, response.content)
        assert response["Content-Type"] == "application/json"
        assert response.json() == json.loads(expected), operation
        if operation == "confirm":
            invoice.refresh_from_db()
            assert invoice.status == InvoiceStatus.PAID
            assert invoice.provider == "uzum"
            assert invoice.provider_transaction_id == "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUNDED
    payment = PaymentTransaction.objects.get()
    assert (payment.provider, payment.state, payment.reason) == ("uzum", -2, 5)
    assert (payment.create_time, payment.perform_time, payment.cancel_time) == (
        1768467791455,
        1768467794210,
        1768477202611,
    )
    assert payment.provider_details == {
        "paymentSource": "UZCARD",
        "tariff": None,
        "processingReferenceNumber": "601512345678",
        "phone": "998901234567",
        "cardType": None,
    }
    events = list(Webhook.objects.order_by("created_at").values_list("event_type", "source"))
    assert events == [
        ("payment.created", "uzum"),
        ("payment.completed", "uzum"),
        ("payment.cancelled", "uzum"),
    ]
    # One inbound log per call, the Authorization header hidden.
    logs = IntegrationLog.objects.filter(direction="inbound").order_by("created_at")
    assert [log.action for log in logs] == [f"uzum.{op}" for op, *_ in EXCHANGE]
    for log in logs:
        assert log.status_code == 200
        assert log.request_data["headers"]["Authorization"] != AUTHORIZATION
        assert "dXp1bS12bTA3OlZ4OS10UTJyLTdMcA" not in json.dumps(log.request_data)


def test_after_the_exchange_the_documented_errors(client):
    """A second /confirm → 10016; after the reversal /status reads REVERSED with all three
    times; a second /reverse → 10018."""
    uzum_integration()
    invoice_create(order_id="VM07-20260115-0042", amount=1_200_000)
    for operation, at_ms, request, _ in EXCHANGE[:3]:
        send(client, operation, at_ms, request)
    again = send(client, "confirm", 1768467795002, EXCHANGE[2][2])
    assert again.status_code == 400
    assert again.json() == {
        "serviceId": 101202,
        "timestamp": 1768467795002,
        "status": "FAILED",
        "errorCode": "10016",
        "transId": "a6b0e2f4-3c1d-4e8a-9b7f-2d5c8e1f0a93",
    }
    send(client, "reverse", 1768477202611, EXCHANGE[4][2])
    status = send(client, "status", 1768477300000, EXCHANGE[3][2]).json()
    assert status["status"] == "REVERSED"
    assert (status["transTime"], status["confirmTime"], status["reverseTime"]) == (
        1768467791455,
        1768467794210,
        1768477202611,
    )
    second = send(client, "reverse", 1768477300000, EXCHANGE[4][2])
    assert (second.status_code, second.json()["errorCode"]) == (400, "10018")


def test_with_refunds_forbidden_the_first_reverse_is_10017(client):
    uzum_integration(config={"refunds_allowed": False})
    invoice = invoice_create(order_id="VM07-20260115-0042", amount=1_200_000)
    for operation, at_ms, request, _ in EXCHANGE[:3]:
        send(client, operation, at_ms, request)
    refused = send(client, "reverse", 1768477202611, EXCHANGE[4][2])
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "10017")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert PaymentTransaction.objects.get().state == 2
    assert not Webhook.objects.filter(event_type="payment.cancelled").exists()
