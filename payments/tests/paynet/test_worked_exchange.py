"""Paynet's provider web service on the receive URL (gateways.md section 2): the worked exchange
of 2.6 as a test vector, to the letter, and the inbound log every call writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.db import connection

from integrations.models import IntegrationLog
from payments.models import (
    PAYNET_TRN_SEQUENCE,
    InvoiceStatus,
)
from payments.tests.paynet.calls import (
    AUTHORIZATION,
    CODE,
    LOGIN,
    PASSWORD,
    PAYNET_ID,
    basic,
    error_code,
    nothing_changed,
    perform,
    perform_params,
    post_raw,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


GMT5 = "+05:00"


def set_next_provider_trn_id(value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s, %s, false)", [PAYNET_TRN_SEQUENCE, value])


# --- 2.6: the worked exchange, to the letter ---------------------------------------------------


def test_the_worked_exchange_of_gateways_2_6(client, paynet, invoice):
    assert basic(LOGIN, PASSWORD) == AUTHORIZATION
    set_next_provider_trn_id(100042)

    def exchange(moment: str, request: str) -> dict[str, Any]:
        with time_machine.travel(moment + GMT5, tick=False):
            response = post_raw(client, request)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        answer: dict[str, Any] = response.json()
        return answer

    perform_body = (
        '{"jsonrpc": "2.0", "id": %d, "method": "PerformTransaction", "params": {"serviceId": '
        '4321, "transactionId": 884120371, "transactionTime": "2026-01-15 14:03:13", '
        '"amount": 1200000, "fields": {"order_id": "VM07-20260115-0042"}}}'
    )
    statement_body = (
        '{"jsonrpc": "2.0", "id": 1005, "method": "GetStatement", "params": {"serviceId": 4321, '
        '"dateFrom": "2026-01-15 00:00:00", "dateTo": "2026-01-15 23:59:59"}}'
    )
    check_body = (
        '{"jsonrpc": "2.0", "id": %d, "method": "CheckTransaction", "params": {"serviceId": '
        '4321, "transactionId": %d, "timestamp": "Thu Jan 15 14:05:00 UZT 2026"}}'
    )
    cancel_body = (
        '{"jsonrpc": "2.0", "id": %d, "method": "CancelTransaction", "params": {"serviceId": '
        '4321, "transactionId": 884120371, "timestamp": "2026-01-15 16:40:02"}}'
    )

    assert exchange(
        "2026-01-15 14:03:10",
        '{"jsonrpc": "2.0", "id": 1001, "method": "GetInformation", "params": {"serviceId": 4321,'
        ' "fields": {"order_id": "VM07-20260115-0042"}}}',
    ) == {
        "jsonrpc": "2.0",
        "id": 1001,
        "result": {
            "status": "0",
            "timestamp": "2026-01-15 14:03:10",
            "fields": {
                "order_id": "VM07-20260115-0042",
                "amount": "12000",
                "name": "Vending VM-07, order 0042",
            },
        },
    }
    assert exchange("2026-01-15 14:03:14", perform_body % 1002) == {
        "jsonrpc": "2.0",
        "id": 1002,
        "result": {
            "providerTrnId": 100042,
            "timestamp": "2026-01-15 14:03:14",
            "fields": {"order_id": "VM07-20260115-0042"},
        },
    }
    assert exchange("2026-01-15 14:03:20", perform_body % 1003) == {
        "jsonrpc": "2.0",
        "id": 1003,
        "error": {"code": 201, "message": "Транзакция уже существует"},
    }
    assert exchange("2026-01-15 14:05:00", check_body % (1004, PAYNET_ID)) == {
        "jsonrpc": "2.0",
        "id": 1004,
        "result": {
            "providerTrnId": 100042,
            "timestamp": "2026-01-15 14:03:14",
            "transactionState": 1,
        },
    }
    assert exchange("2026-01-15 15:00:00", statement_body) == {
        "jsonrpc": "2.0",
        "id": 1005,
        "result": {
            "statements": [
                {
                    "amount": 1200000,
                    "providerTrnId": 100042,
                    "transactionId": 884120371,
                    "timestamp": "2026-01-15 14:03:14",
                }
            ]
        },
    }
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert exchange("2026-01-15 16:40:02", cancel_body % 1006) == {
        "jsonrpc": "2.0",
        "id": 1006,
        "result": {
            "providerTrnId": 100042,
            "timestamp": "2026-01-15 16:40:02",
            "transactionState": 2,
        },
    }
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUNDED
    after = exchange("2026-01-15 16:40:30", check_body % (1004, PAYNET_ID))["result"]
    assert after == {
        "providerTrnId": 100042,
        "timestamp": "2026-01-15 16:40:02",
        "transactionState": 2,
    }
    assert exchange("2026-01-15 16:40:40", statement_body)["result"] == {"statements": []}
    assert exchange("2026-01-15 16:40:50", cancel_body % 1007) == {
        "jsonrpc": "2.0",
        "id": 1007,
        "error": {"code": 202, "message": "Транзакция уже отменена"},
    }
    assert exchange("2026-01-15 16:41:00", check_body % (1008, 1)) == {
        "jsonrpc": "2.0",
        "id": 1008,
        "result": {"providerTrnId": 0, "timestamp": "2026-01-15 16:41:00", "transactionState": 3},
    }
    events = list(Webhook.objects.order_by("created_at").values_list("event_type", flat=True))
    assert events == ["payment.created", "payment.completed", "payment.cancelled"]
    assert IntegrationLog.objects.filter(integration=paynet).count() == 10


# --- the inbound log -------------------------------------------------------------------------


def test_every_call_writes_an_inbound_log_with_authorization_hidden(client, paynet, invoice):
    perform(client)
    post_raw(client, "{", authorization=basic(LOGIN, "guess"))
    post_raw(client, "", method="get")
    logs = list(IntegrationLog.objects.filter(integration=paynet).order_by("created_at"))
    assert [(log.action, log.status_code, log.direction) for log in logs] == [
        ("paynet.PerformTransaction", 200, "inbound"),
        ("paynet", 401, "inbound"),
        ("paynet", 200, "inbound"),
    ]
    performed = logs[0]
    assert performed.request_data["headers"]["Authorization"] == "[REDACTED]"
    assert performed.request_data["body"]["params"]["transactionId"] == PAYNET_ID
    assert performed.response_data["result"]["providerTrnId"] > 0
    # The login of gateways.md 2.6 is the integration's code, and a login is a credential no
    # log holds (CONTRACT, Integration logs): the path shows it redacted, as every path does.
    assert LOGIN == CODE
    assert performed.endpoint == "POST /api/webhooks/receive/[REDACTED]"
    assert logs[1].error_message == "412: Неверный логин или пароль"


def test_a_body_over_the_limit_is_32700_and_not_read(client, paynet, invoice, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 256
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "PerformTransaction",
            "params": {**perform_params(), "pad": "x" * 512},
        }
    )
    response = post_raw(client, body)
    assert response.status_code == 200
    assert error_code(response.json()) == -32700
    assert nothing_changed(invoice)
    assert post_raw(client, body, authorization=None).status_code == 401
