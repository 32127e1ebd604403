"""Paynet on the receive URL (gateways.md 2.1, 2.3): transport and auth, the JSON-RPC envelope's
error rows, required parameters, the service id, an inactive integration, and the check order."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from integrations.models import IntegrationLog
from payments.tests.paynet.calls import (
    AUTHORIZATION,
    LOGIN,
    ORDER,
    PASSWORD,
    PAYNET_ID,
    SERVICE_ID,
    basic,
    error_code,
    information,
    nothing_changed,
    paynet_integration,
    perform_params,
    post_raw,
    rpc,
)

pytestmark = pytest.mark.django_db


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
