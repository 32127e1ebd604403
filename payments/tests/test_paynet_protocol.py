"""Paynet's provider web service on the receive URL (gateways.md section 2): the worked exchange
of 2.6 as a test vector, every row of the error table 2.3 and its check order, the replays and
the state machine of 2.4, the time formats, ChangePassword, the inbound logs."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import OperationalError, connection
from django.utils import timezone

from integrations.models import IntegrationLog, SecretChange
from payments.models import (
    PAYNET_TRN_SEQUENCE,
    InvoiceStatus,
    PaymentInvoice,
    PaymentTransaction,
    TransactionState,
)
from payments.services import invoice_create
from payments.tests.paynet_calls import (
    AUTHORIZATION,
    CODE,
    DESCRIPTION,
    LOGIN,
    ORDER,
    PASSWORD,
    PAYNET_ID,
    SERVICE_ID,
    TIYIN,
    basic,
    error_code,
    paynet_integration,
    perform_params,
    post_raw,
    rpc,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

GMT5 = "+05:00"


@pytest.fixture
def paynet(db):
    return paynet_integration()


@pytest.fixture
def invoice(db) -> PaymentInvoice:
    return invoice_create(order_id=ORDER, amount=TIYIN, description=DESCRIPTION)


def set_next_provider_trn_id(value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s, %s, false)", [PAYNET_TRN_SEQUENCE, value])


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


# --- 2.1: transport and auth -------------------------------------------------------------------


UNAUTHORIZED = {
    "jsonrpc": "2.0",
    "id": None,
    "error": {"code": 412, "message": "Неверный логин или пароль"},
}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        basic(LOGIN, "wrong"),
        basic("someone-else", PASSWORD),
        basic(LOGIN, PASSWORD + "x"),
        "Bearer " + PASSWORD,
        "Basic not-base64!",
        AUTHORIZATION[:-2],
    ],
)
def test_missing_or_wrong_credentials_are_http_401_with_412(client, paynet, invoice, authorization):
    response = post_raw(
        client,
        json.dumps(
            {"jsonrpc": "2.0", "id": 5, "method": "PerformTransaction", "params": perform_params()}
        ),
        authorization=authorization,
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="paynet"'
    assert response.json() == UNAUTHORIZED
    assert nothing_changed(invoice)
    log = IntegrationLog.objects.get(integration=paynet)
    assert log.status_code == 401


def test_credentials_are_compared_in_constant_time(client, paynet, invoice):
    with mock.patch("payments.protocols.common.hmac.compare_digest", return_value=False) as spy:
        response = post_raw(client, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x"}))
    assert response.status_code == 401
    spy.assert_called_once_with(f"{LOGIN}:{PASSWORD}".encode(), f"{LOGIN}:{PASSWORD}".encode())


def test_no_password_configured_refuses_everyone(client, invoice):
    paynet_integration(api_secret="")
    response = post_raw(
        client,
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x"}),
        authorization=basic(LOGIN, ""),
    )
    assert response.status_code == 401


# --- 2.3: every row of the error table, and the check order ------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_not_post_is_32300_with_http_200_before_auth(client, paynet, method):
    response = post_raw(client, "{}", method=method, authorization=None)
    assert response.status_code == 200
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32300, "message": "Метод запроса не POST"},
    }


@pytest.mark.parametrize("body", ["", "{", "not json", '{"a": NaN}', "[" * 5000, b"\xff\xfe"])
def test_not_json_is_32700_after_auth(client, paynet, body):
    response = post_raw(client, body)
    assert response.status_code == 200
    assert response.json()["id"] is None
    assert error_code(response.json()) == -32700
    assert post_raw(client, body, authorization=None).status_code == 401


@pytest.mark.parametrize(
    "envelope",
    [
        [],
        "text",
        7,
        {"id": 3, "method": "GetInformation", "params": {}},
        {"jsonrpc": "1.0", "id": 3, "method": "GetInformation", "params": {}},
        {"jsonrpc": 2.0, "id": 3, "method": "GetInformation", "params": {}},
        {"jsonrpc": "2.0", "method": "GetInformation", "params": {}},
        {"jsonrpc": "2.0", "id": None, "method": "GetInformation", "params": {}},
        {"jsonrpc": "2.0", "id": [3], "method": "GetInformation", "params": {}},
        {"jsonrpc": "2.0", "id": True, "method": "GetInformation", "params": {}},
        {"jsonrpc": "2.0", "id": 3, "params": {}},
        {"jsonrpc": "2.0", "id": 3, "method": 12, "params": {}},
        {"jsonrpc": "2.0", "id": 3, "method": "GetInformation"},
        {"jsonrpc": "2.0", "id": 3, "method": "NoSuchMethod"},
    ],
)
def test_not_an_rpc_request_is_32600(client, paynet, envelope):
    answer = post_raw(client, json.dumps(envelope)).json()
    assert error_code(answer) == -32600
    readable = isinstance(envelope, dict) and type(envelope.get("id")) in (int, str)
    assert answer["id"] == (envelope["id"] if readable else None)


@pytest.mark.parametrize("request_id", [17, "req-17", 0])
def test_the_id_is_echoed_verbatim(client, paynet, invoice, request_id):
    answer = rpc(
        client,
        "GetInformation",
        {"serviceId": SERVICE_ID, "fields": {"order_id": ORDER}},
        request_id=request_id,
    )
    assert answer["id"] == request_id and "result" in answer


@pytest.mark.parametrize("method", ["Nope", "getinformation", "CheckPerformTransaction", ""])
def test_unknown_method_is_32601(client, paynet, method):
    answer = rpc(client, method, "not an object either")
    assert answer == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32601, "message": "Запрашиваемый метод не найден"},
    }


@pytest.mark.parametrize(
    "method", [" CancelTransaction", "GetInformation ", "\tCheckTransaction\n"]
)
def test_method_names_are_trimmed(client, paynet, invoice, method):
    answer = rpc(
        client, method, {"serviceId": SERVICE_ID, "transactionId": 1, "fields": {"order_id": ORDER}}
    )
    assert error_code(answer) != -32601


@pytest.mark.parametrize("params", [None, [], "x", 5, [{"serviceId": SERVICE_ID}]])
def test_params_not_an_object_is_32602(client, paynet, params):
    assert error_code(rpc(client, "GetInformation", params)) == -32602


MISSING = [
    ("GetInformation", {"fields": {"order_id": ORDER}}),
    ("GetInformation", {"serviceId": SERVICE_ID}),
    ("GetInformation", {"serviceId": SERVICE_ID, "fields": {}}),
    ("GetInformation", {"serviceId": SERVICE_ID, "fields": {"client_id": ORDER}}),
    ("GetInformation", {"serviceId": SERVICE_ID, "fields": {"order_id": None}}),
    ("GetInformation", {"serviceId": SERVICE_ID, "fields": {"order_id": "  "}}),
    ("GetInformation", {"serviceId": SERVICE_ID, "fields": "order_id"}),
    ("GetInformation", {"serviceId": "abc", "fields": {"order_id": ORDER}}),
    ("PerformTransaction", {**perform_params(), "serviceId": None}),
    ("PerformTransaction", {k: v for k, v in perform_params().items() if k != "transactionId"}),
    ("PerformTransaction", {**perform_params(), "transactionId": "abc"}),
    ("PerformTransaction", {**perform_params(), "transactionId": -1}),
    ("PerformTransaction", {**perform_params(), "transactionId": 2**63}),
    ("PerformTransaction", {k: v for k, v in perform_params().items() if k != "amount"}),
    ("PerformTransaction", {k: v for k, v in perform_params().items() if k != "fields"}),
    ("CheckTransaction", {"serviceId": SERVICE_ID}),
    ("CheckTransaction", {"transactionId": PAYNET_ID}),
    ("CancelTransaction", {"serviceId": SERVICE_ID, "transactionId": 1.5}),
    ("CancelTransaction", {"transactionId": PAYNET_ID}),
    ("GetStatement", {"serviceId": SERVICE_ID, "dateFrom": "2026-01-15 00:00:00"}),
    ("GetStatement", {"serviceId": SERVICE_ID, "dateTo": "2026-01-15 00:00:00"}),
    ("GetStatement", {"dateFrom": "2026-01-15 00:00:00", "dateTo": "2026-01-15 00:00:00"}),
    ("ChangePassword", {}),
    ("ChangePassword", {"newPassword": ""}),
    ("ChangePassword", {"newPassword": 1234}),
    ("ChangePassword", {"password": "new-one"}),
]


@pytest.mark.parametrize(("method", "params"), MISSING)
def test_a_required_parameter_missing_is_411(client, paynet, invoice, method, params):
    answer = rpc(client, method, params)
    assert answer["error"] == {
        "code": 411,
        "message": "Не задан один или несколько обязательных параметров",
    }
    assert nothing_changed(invoice)
    paynet.refresh_from_db()
    assert paynet.api_secret == PASSWORD


CALLS = [
    ("GetInformation", {"fields": {"order_id": ORDER}}),
    ("PerformTransaction", {k: v for k, v in perform_params().items() if k != "serviceId"}),
    ("CheckTransaction", {"transactionId": PAYNET_ID}),
    ("CancelTransaction", {"transactionId": PAYNET_ID}),
    ("GetStatement", {"dateFrom": "2026-01-15 00:00:00", "dateTo": "2026-01-15 23:59:59"}),
    ("ChangePassword", {"newPassword": "Zz9-new-Password"}),
]


@pytest.mark.parametrize(("method", "params"), CALLS)
@pytest.mark.parametrize("service_id", [1234, "9999", 0])
def test_another_service_id_is_305_for_every_method(
    client, paynet, invoice, method, params, service_id
):
    answer = rpc(client, method, {**params, "serviceId": service_id})
    assert answer["error"] == {"code": 305, "message": "Услуга не найдена"}
    assert nothing_changed(invoice)
    paynet.refresh_from_db()
    assert paynet.api_secret == PASSWORD


def test_a_service_id_sent_as_digits_is_ours(client, paynet, invoice):
    answer = rpc(client, "GetInformation", {"serviceId": "4321", "fields": {"order_id": ORDER}})
    assert "result" in answer


def test_no_service_id_configured_is_305(client, invoice):
    paynet_integration(config={})
    assert error_code(information(client)) == 305


@pytest.mark.parametrize(("method", "params"), CALLS)
def test_an_inactive_integration_is_100_for_every_method(client, paynet, invoice, method, params):
    paynet.status = "inactive"
    paynet.save(update_fields=["status"])
    answer = rpc(client, method, {**params, "serviceId": SERVICE_ID})
    assert answer["error"] == {"code": 100, "message": "Услуга временно не поддерживается"}
    assert nothing_changed(invoice)
    paynet.refresh_from_db()
    assert paynet.api_secret == PASSWORD


def test_the_check_order_one_failure_at_a_time(client, paynet, invoice):
    """Each request below is wrong in every way from some step on; the answer names the first."""
    paynet.status = "inactive"
    paynet.save(update_fields=["status"])
    bad = basic(LOGIN, "wrong")
    # -32300 before auth
    assert post_raw(client, "{", method="get", authorization=bad).status_code == 200
    # auth before -32700
    assert post_raw(client, "{", authorization=bad).status_code == 401
    # -32700 before -32600
    assert error_code(post_raw(client, "{").json()) == -32700
    # -32600 before -32601 (no jsonrpc, unknown method, params not an object)
    body = {"id": 1, "method": "Nope", "params": 5}
    assert error_code(post_raw(client, json.dumps(body)).json()) == -32600
    # -32601 before -32602
    assert error_code(rpc(client, "Nope", 5)) == -32601
    # -32602 before 411
    assert error_code(rpc(client, "GetStatement", [])) == -32602
    # 411 before 305 (missing dateTo, wrong service, inactive, bad date)
    params = {"serviceId": 1, "dateFrom": "nope"}
    assert error_code(rpc(client, "GetStatement", params)) == 411
    # 305 before 100
    params = {"serviceId": 1, "dateFrom": "nope", "dateTo": "nope"}
    assert error_code(rpc(client, "GetStatement", params)) == 305
    # 100 before 414
    params = {"serviceId": SERVICE_ID, "dateFrom": "nope", "dateTo": "nope"}
    assert error_code(rpc(client, "GetStatement", params)) == 100
    paynet.status = "active"
    paynet.save(update_fields=["status"])
    assert error_code(rpc(client, "GetStatement", params)) == 414


def test_perform_checks_201_then_302_then_413(client, paynet, invoice):
    assert "result" in perform(client)
    # A known id with an unknown account and a wrong amount: 201 (before the account).
    assert error_code(perform(client, order="no-such-order", amount=1)) == 201
    # A new id for a paid invoice with a wrong amount: 302 before 413.
    assert error_code(perform(client, 2, amount=1)) == 302
    invoice_create(order_id="other", amount=TIYIN)
    assert error_code(perform(client, 3, order="other", amount=TIYIN + 1)) == 413


@pytest.mark.parametrize("order", ["no-such-order", "has space", "x" * 200, 12.5, ["a"], {"a": 1}])
def test_unknown_account_is_302_in_get_information_and_perform(client, paynet, invoice, order):
    assert error_code(information(client, order)) == 302
    assert error_code(perform(client, order=order)) == 302
    assert nothing_changed(invoice)


@pytest.mark.parametrize(
    "status", [InvoiceStatus.PAID, InvoiceStatus.REFUNDED, InvoiceStatus.CANCELLED]
)
def test_an_invoice_not_pending_is_302(client, paynet, invoice, status):
    PaymentInvoice.objects.filter(pk=invoice.pk).update(status=status)
    assert error_code(information(client)) == 302
    assert error_code(perform(client)) == 302
    assert not PaymentTransaction.objects.exists()


def test_an_expired_invoice_is_302(client, paynet):
    invoice = invoice_create(order_id=ORDER, amount=TIYIN)
    # Born payable (a past expires_at is refused at creation), then past its expiry.
    PaymentInvoice.objects.filter(pk=invoice.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invoice.refresh_from_db()
    assert error_code(information(client)) == 302
    assert error_code(perform(client)) == 302
    assert nothing_changed(invoice)


def test_an_invoice_held_by_another_gateways_created_transaction_is_302(client, paynet, invoice):
    from payments.tests.helpers import PAYME_KEY, payme_call

    payme = paynet_integration(
        code="payme", provider="payme", api_key="m", api_secret=PAYME_KEY, config={}
    )
    created = payme_call(
        client,
        payme.code,
        "CreateTransaction",
        {"id": "a" * 24, "time": 1, "amount": TIYIN, "account": {"order_id": ORDER}},
    )
    assert created["result"]["state"] == 1
    assert error_code(information(client)) == 302
    assert error_code(perform(client)) == 302
    assert PaymentTransaction.objects.count() == 1


@pytest.mark.parametrize("amount", [TIYIN - 1, TIYIN + 1, TIYIN // 100, "1200000", 1200000.0, True])
def test_another_amount_is_413(client, paynet, invoice, amount):
    assert error_code(perform(client, amount=amount)) == 413
    assert nothing_changed(invoice)


def test_cancel_of_an_unknown_transaction_is_203(client, paynet, invoice):
    assert cancel(client, 777)["error"] == {"code": 203, "message": "Транзакция не найдена"}


def test_a_transaction_of_another_paynet_integration_is_not_this_ones(client, paynet, invoice):
    other = paynet_integration(code="paynet-other", api_key="other", api_secret="pw-other-1")
    assert "result" in perform(client)
    other_auth = basic("other", "pw-other-1")
    params = {"serviceId": SERVICE_ID, "transactionId": PAYNET_ID}
    answer = rpc(client, "CheckTransaction", params, code=other.code, authorization=other_auth)
    assert answer["result"]["transactionState"] == 3
    answer = rpc(client, "CancelTransaction", params, code=other.code, authorization=other_auth)
    assert error_code(answer) == 203
    # ... but its transactionId is still taken: the (provider, transactionId) pair is unique.
    answer = rpc(
        client, "PerformTransaction", perform_params(), code=other.code, authorization=other_auth
    )
    assert error_code(answer) == 201


def test_cancel_refused_when_refunds_are_not_allowed_is_77(client, invoice):
    paynet_integration(config={"service_id": SERVICE_ID, "refunds_allowed": False})
    assert "result" in perform(client)
    assert cancel(client)["error"] == {
        "code": 77,
        "message": "Недостаточно средств на счету клиента для отмены платежа",
    }
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert PaymentTransaction.objects.get().state == TransactionState.PERFORMED
    assert check(client)["result"]["transactionState"] == 1


def test_cancel_checks_203_then_202_then_77(client, invoice):
    integration = paynet_integration()
    assert "result" in perform(client)
    assert "result" in cancel(client)
    integration.config = {"service_id": SERVICE_ID, "refunds_allowed": False}
    integration.save(update_fields=["config"])
    assert error_code(cancel(client)) == 202
    assert error_code(cancel(client, 1)) == 203


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        ("2026-01-15", "2026-01-15 23:59:59"),
        ("15.01.2026 00:00:00", "2026-01-15 23:59:59"),
        ("2026-01-15 00:00:00", "2026-13-15 23:59:59"),
        ("2026-01-15 00:00:00", "2026-01-15 24:00:00"),
        ("2026-01-15T00:00:00", "2026-01-15 23:59:59"),
        (1736881200000, "2026-01-15 23:59:59"),
        ("2026-01-15 00:00:00", ["2026-01-15 23:59:59"]),
    ],
)
def test_statement_with_unreadable_dates_is_414(client, paynet, date_from, date_to):
    answer = statement(client, date_from, date_to)
    assert answer["error"] == {"code": 414, "message": "Неверный формат даты и времени"}


def test_an_unexpected_failure_is_32603_with_http_200_and_writes_nothing(client, paynet, invoice):
    with mock.patch("payments.services.paynet.invoice_mark_paid", side_effect=RuntimeError("boom")):
        response = post_raw(
            client,
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 9,
                    "method": "PerformTransaction",
                    "params": perform_params(),
                }
            ),
        )
    assert response.status_code == 200
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": 9,
        "error": {"code": -32603, "message": "Системная ошибка"},
    }
    assert nothing_changed(invoice)
    log = IntegrationLog.objects.get(integration=paynet)
    assert (log.action, log.response_data) == ("paynet.PerformTransaction", response.json())


def test_the_database_gone_is_32603_not_a_5xx(client, paynet, invoice):
    with mock.patch(
        "payments.services.paynet.PaymentTransaction.objects.filter",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        answer = perform(client)
    assert error_code(answer) == -32603
    assert nothing_changed(invoice)


def test_when_even_the_log_cannot_be_written_paynet_still_gets_an_answer(client, paynet, invoice):
    with (
        mock.patch("payments.services.paynet.paynet_check", side_effect=OperationalError("gone")),
        mock.patch("payments.protocols.paynet.gateway_log", side_effect=OperationalError("gone")),
    ):
        answer = check(client)
    assert error_code(answer) == -32603


# --- 2.2 / 2.4: methods, state machine, replays ----------------------------------------------


def test_get_information_answers_so_m_as_text_and_the_description(client, paynet):
    invoice_create(order_id="odd", amount=150_050, description="")
    answer = information(client, "odd")["result"]
    assert answer["status"] == "0"
    assert answer["fields"] == {"order_id": "odd", "amount": "1500.50", "name": ""}


def test_get_information_changes_nothing(client, paynet, invoice):
    assert "result" in information(client)
    assert nothing_changed(invoice)


def test_a_custom_account_field_and_trimmed_field_keys(client, invoice):
    paynet_integration(config={"service_id": SERVICE_ID, "account_field": "client_id"})
    params = {"serviceId": SERVICE_ID, "fields": {" client_id ": f" {ORDER} "}}
    answer = rpc(client, "GetInformation", params)["result"]
    assert answer["fields"]["client_id"] == ORDER
    answer = rpc(client, "PerformTransaction", {**perform_params(), "fields": params["fields"]})
    assert answer["result"]["fields"] == {"client_id": f" {ORDER} "}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_numeric_account_value_finds_the_invoice(client, paynet):
    invoice_create(order_id="1001", amount=TIYIN)
    assert "result" in information(client, 1001)
    assert "result" in perform(client, order=1001)


def test_perform_creates_a_performed_transaction_pays_and_emits_two_events(client, paynet, invoice):
    with time_machine.travel("2026-01-15 09:03:14.250+00:00", tick=False):
        answer = perform(client, transaction_id=2**63 - 1)["result"]
    payment = PaymentTransaction.objects.get()
    assert (payment.provider, payment.provider_transaction_id) == ("paynet", str(2**63 - 1))
    assert payment.state == TransactionState.PERFORMED
    assert payment.create_time == payment.perform_time == 1768467794250
    assert payment.amount == TIYIN and payment.account == {"order_id": ORDER}
    assert answer["providerTrnId"] == payment.provider_trn_id
    assert answer["timestamp"] == "2026-01-15 14:03:14"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert (invoice.provider, invoice.provider_transaction_id) == ("paynet", str(2**63 - 1))
    events = {hook.event_type: hook.payload for hook in Webhook.objects.all()}
    assert set(events) == {"payment.created", "payment.completed"}
    assert events["payment.created"]["state"] == 1
    assert events["payment.completed"]["state"] == 2
    assert events["payment.completed"]["provider"] == "paynet"
    assert events["payment.completed"]["amount"] == TIYIN


def test_a_transaction_id_sent_as_digits_is_the_same_id(client, paynet, invoice):
    assert "result" in perform(client)
    assert error_code(perform(client, transaction_id=str(PAYNET_ID))) == 201  # type: ignore[arg-type]


def test_repeated_perform_is_201_and_changes_nothing(client, paynet, invoice):
    first = perform(client)["result"]
    before = list(PaymentTransaction.objects.values())
    for _ in range(3):
        assert perform(client)["error"] == {"code": 201, "message": "Транзакция уже существует"}
    assert list(PaymentTransaction.objects.values()) == before
    assert Webhook.objects.count() == 2
    assert check(client)["result"]["providerTrnId"] == first["providerTrnId"]


def test_provider_trn_ids_are_new_for_each_transaction_and_never_reused(client, paynet):
    trn_ids = []
    for number in range(3):
        invoice_create(order_id=f"o-{number}", amount=TIYIN)
        trn_ids.append(
            perform(client, 500 + number, order=f"o-{number}")["result"]["providerTrnId"]
        )
    assert all(isinstance(value, int) and value > 0 for value in trn_ids)
    assert trn_ids == sorted(set(trn_ids))
    # A failed perform that took a number (rolled back) does not give it out again.
    invoice_create(order_id="o-x", amount=TIYIN)
    with mock.patch("payments.services.paynet.invoice_mark_paid", side_effect=RuntimeError):
        assert error_code(perform(client, 600, order="o-x")) == -32603
    again = perform(client, 601, order="o-x")["result"]["providerTrnId"]
    assert again > trn_ids[-1] + 1


def test_cancel_refunds_with_reason_5_and_emits_cancelled(client, paynet, invoice):
    perform(client)
    with time_machine.travel("2026-01-15 11:40:02+00:00", tick=False):
        answer = cancel(client)["result"]
    assert answer["transactionState"] == 2
    assert answer["timestamp"] == "2026-01-15 16:40:02"
    payment = PaymentTransaction.objects.get()
    assert payment.state == TransactionState.CANCELLED_AFTER_PERFORM
    assert payment.reason == 5
    assert payment.cancel_time == 1768477202000
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUNDED
    cancelled = Webhook.objects.get(event_type="payment.cancelled")
    assert cancelled.payload["state"] == -2


def test_repeated_cancel_is_202_and_changes_nothing(client, paynet, invoice):
    perform(client)
    cancel(client)
    before = list(PaymentTransaction.objects.values())
    for _ in range(2):
        assert error_code(cancel(client)) == 202
    assert list(PaymentTransaction.objects.values()) == before
    assert Webhook.objects.filter(event_type="payment.cancelled").count() == 1


def test_a_refunded_invoice_cannot_be_paid_again(client, paynet, invoice):
    perform(client)
    cancel(client)
    assert error_code(perform(client, 2)) == 302
    assert error_code(perform(client)) == 201


@pytest.mark.parametrize(
    "timestamp", ["Thu Jan 15 14:05:00 UZT 2026", "15.01.2026 14:05:00", None, 12, "", {"a": 1}]
)
def test_odd_inbound_timestamps_are_accepted_and_ignored(client, paynet, invoice, timestamp):
    perform(client)
    params = {"serviceId": SERVICE_ID, "transactionId": PAYNET_ID, "timestamp": timestamp}
    assert rpc(client, "CheckTransaction", params)["result"]["transactionState"] == 1
    assert rpc(client, "CancelTransaction", params)["result"]["transactionState"] == 2


def test_check_of_an_unknown_id_is_state_3_with_now(client, paynet):
    with time_machine.travel("2026-06-01 00:00:00+00:00", tick=False):
        answer = check(client, 123)
    assert answer["result"] == {
        "providerTrnId": 0,
        "timestamp": "2026-06-01 05:00:00",
        "transactionState": 3,
    }


def test_statement_window_is_inclusive_gmt5_performed_not_cancelled_oldest_first(client, paynet):
    moments = {  # transactionId: perform moment (UTC)
        11: "2026-01-14 18:59:59.999+00:00",  # 2026-01-14 23:59:59 GMT+5: before the window
        12: "2026-01-14 19:00:00+00:00",  # 2026-01-15 00:00:00 GMT+5: first second
        13: "2026-01-15 18:59:59.900+00:00",  # 2026-01-15 23:59:59 GMT+5: last second
        14: "2026-01-15 19:00:00+00:00",  # 2026-01-16 00:00:00 GMT+5: after
        15: "2026-01-15 10:00:00+00:00",  # inside, then cancelled
        16: "2026-01-15 05:00:00+00:00",  # inside
    }
    for transaction_id, moment in moments.items():
        invoice_create(order_id=f"s-{transaction_id}", amount=TIYIN + transaction_id)
        with time_machine.travel(moment, tick=False):
            perform(
                client, transaction_id, order=f"s-{transaction_id}", amount=TIYIN + transaction_id
            )
    cancel(client, 15)
    answer = statement(client, "2026-01-15 00:00:00", "2026-01-15 23:59:59")["result"]
    assert [entry["transactionId"] for entry in answer["statements"]] == [12, 16, 13]
    assert answer["statements"][0] == {
        "amount": TIYIN + 12,
        "providerTrnId": PaymentTransaction.objects.get(
            provider_transaction_id="12"
        ).provider_trn_id,
        "transactionId": 12,
        "timestamp": "2026-01-15 00:00:00",
    }
    assert statement(client, "2026-01-16 00:00:00", "2026-01-15 00:00:00")["result"] == {
        "statements": []
    }


def test_statement_lists_only_this_integrations_transactions(client, paynet, invoice):
    from payments.tests.helpers import PAYME_KEY, payme_call

    payme = paynet_integration(
        code="payme", provider="payme", api_key="m", api_secret=PAYME_KEY, config={}
    )
    payme_call(
        client,
        payme.code,
        "CreateTransaction",
        {"id": "b" * 24, "time": 1, "amount": TIYIN, "account": {"order_id": ORDER}},
    )
    payme_call(client, payme.code, "PerformTransaction", {"id": "b" * 24})
    answer = statement(client, "2000-01-01 00:00:00", "2100-01-01 00:00:00")
    assert answer["result"] == {"statements": []}


def test_change_password_replaces_the_secret_and_records_it(client, paynet, invoice):
    answer = rpc(client, "ChangePassword", {"newPassword": "N3w-Paynet-pw"})
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": "success"}
    paynet.refresh_from_db()
    assert paynet.api_secret == "N3w-Paynet-pw"
    change = SecretChange.objects.get(integration=paynet)
    assert (change.field, change.action, change.actor) == ("api_secret", "changed", "paynet")
    # The old password is refused from now on, the new one works.
    response = post_raw(
        client, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "GetInformation", "params": {}})
    )
    assert response.status_code == 401
    answer = rpc(
        client,
        "GetInformation",
        {"serviceId": SERVICE_ID, "fields": {"order_id": ORDER}},
        authorization=basic(LOGIN, "N3w-Paynet-pw"),
    )
    assert "result" in answer
    for log in IntegrationLog.objects.all():
        assert "N3w-Paynet-pw" not in json.dumps(
            [log.request_data, log.response_data, log.error_message, log.endpoint]
        )


def test_change_password_with_a_wrong_current_password_changes_nothing(client, paynet):
    response = post_raw(
        client,
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "ChangePassword",
                "params": {"newPassword": "taken-over"},
            }
        ),
        authorization=basic(LOGIN, "guess"),
    )
    assert response.status_code == 401
    paynet.refresh_from_db()
    assert paynet.api_secret == PASSWORD
    assert not SecretChange.objects.exists()


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
