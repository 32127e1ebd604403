"""Payme beyond the sandbox: the JSON-RPC envelope (a body too deep or too long included) and bad
input, each a protocol error, never a 500, with nothing written."""

from __future__ import annotations

import pytest

from integrations.models import IntegrationLog
from payments.models import PaymentTransaction
from payments.tests.helpers import (
    ACCOUNT,
    AMOUNT,
    ORDER_ID,
    PAYME_ID,
    PAYME_KEY,
    basic,
    create,
    nothing_changed,
    payme_call,
    raw_post,
    receive_url,
)

pytestmark = pytest.mark.django_db

# --- the envelope ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_a_method_other_than_post_is_32300(client, payme, invoice, method):
    response = getattr(client, method)(receive_url(payme.code), HTTP_AUTHORIZATION=basic(PAYME_KEY))
    assert response.status_code == 200
    answer = response.json()
    assert answer["error"]["code"] == -32300
    assert answer["id"] is None
    assert IntegrationLog.objects.get(integration=payme).response_data == answer


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"id": 1, "method": NaN}', b"\xff\xfe"])
def test_not_json_is_32700(client, payme, invoice, body):
    answer = raw_post(client, payme.code, body)
    assert answer["error"]["code"] == -32700
    assert nothing_changed(invoice)


def test_a_number_too_long_to_read_is_32700(client, payme, invoice):
    body = b'{"method": "CheckPerformTransaction", "params": {"amount": ' + b"9" * 5000 + b"}}"
    assert raw_post(client, payme.code, body)["error"]["code"] == -32700


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2]",
        b'"CheckPerformTransaction"',
        b'{"id": 7, "params": {}}',
        b'{"id": 7, "method": 12, "params": {}}',
        b'{"id": 7, "method": "CheckTransaction", "params": []}',
        b'{"id": 7, "method": "CheckTransaction", "params": "x"}',
        b'{"id": 7, "method": "CheckTransaction"}',
    ],
)
def test_not_an_rpc_object_is_32600(client, payme, invoice, body):
    answer = raw_post(client, payme.code, body)
    assert answer["error"]["code"] == -32600
    assert nothing_changed(invoice)


def test_unknown_method_is_32601_naming_it(client, payme):
    answer = payme_call(client, payme.code, "GetBalance", {}, request_id="abc")
    assert answer["error"]["code"] == -32601
    assert answer["error"]["data"] == "GetBalance"
    assert answer["id"] == "abc"


# --- bad params: a protocol error, never a 500, nothing written --------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"amount": 1500.0, "account": ACCOUNT}, -32600),
        ({"amount": True, "account": ACCOUNT}, -32600),
        ({"amount": "150000", "account": ACCOUNT}, -32600),
        ({"amount": None, "account": ACCOUNT}, -32600),
        ({"amount": -AMOUNT, "account": ACCOUNT}, -31001),
        ({"amount": 0, "account": ACCOUNT}, -31001),
        ({"amount": 10**30, "account": ACCOUNT}, -31001),
        ({"amount": AMOUNT, "account": ORDER_ID}, -32600),
        ({"amount": AMOUNT, "account": [ORDER_ID]}, -32600),
        ({"amount": AMOUNT}, -32600),
        ({"amount": AMOUNT, "account": {}}, -31050),
        ({"amount": AMOUNT, "account": {"order_id": {"id": ORDER_ID}}}, -31050),
        ({"amount": AMOUNT, "account": {"order_id": True}}, -31050),
        ({"amount": AMOUNT, "account": {"order_id": "order\x00-1001"}}, -31050),
        ({"amount": AMOUNT, "account": {"order": ORDER_ID}}, -31050),
    ],
)
@pytest.mark.parametrize("method", ["CheckPerformTransaction", "CreateTransaction"])
def test_bad_amount_or_account(client, payme, invoice, method, params, code):
    if method == "CreateTransaction":
        params = {"id": PAYME_ID, "time": 1_700_000_000_000, **params}
    answer = payme_call(client, payme.code, method, params)
    assert answer["error"]["code"] == code
    if code == -31050:
        assert answer["error"]["data"] == "order_id"
    assert nothing_changed(invoice)


@pytest.mark.parametrize(
    "overrides",
    [
        {"id": 12345},
        {"id": ""},
        {"id": "x" * 65},
        {"id": "has space"},
        {"time": "1700000000000"},
        {"time": -1},
        {"time": 2**64},
        {"time": 1.5},
    ],
)
def test_create_with_ill_typed_id_or_time_is_32600(client, payme, invoice, overrides):
    assert create(client, payme.code, **overrides)["error"]["code"] == -32600
    assert nothing_changed(invoice)


@pytest.mark.parametrize("reason", [None, "1", 6, 0, True, 4.0])
def test_cancel_with_a_bad_reason_is_32600_and_changes_nothing(client, payme, invoice, reason):
    create(client, payme.code)
    answer = payme_call(client, payme.code, "CancelTransaction", {"id": PAYME_ID, "reason": reason})
    assert answer["error"]["code"] == -32600
    assert PaymentTransaction.objects.get().state == 1


@pytest.mark.parametrize("method", ["PerformTransaction", "CancelTransaction", "CheckTransaction"])
def test_unknown_transaction_is_31003(client, payme, invoice, method):
    answer = payme_call(client, payme.code, method, {"id": "ffffffffffffffffffffffff", "reason": 1})
    assert answer["error"]["code"] == -31003


def test_a_transaction_of_another_payme_integration_is_not_found(client, payme, invoice):
    from payments.tests.helpers import gateway_integration

    create(client, payme.code)
    other = gateway_integration(code="payme-2", provider="payme", api_secret="another-key")
    answer = payme_call(client, other.code, "CheckTransaction", {"id": PAYME_ID}, key="another-key")
    assert answer["error"]["code"] == -31003


def test_custom_account_field(client, payme, invoice):
    payme.config = {"account_field": "invoice"}
    payme.save()
    answer = payme_call(
        client,
        payme.code,
        "CheckPerformTransaction",
        {"amount": AMOUNT, "account": {"order_id": ORDER_ID}},
    )
    assert (answer["error"]["code"], answer["error"]["data"]) == (-31050, "invoice")
    answer = payme_call(
        client,
        payme.code,
        "CheckPerformTransaction",
        {"amount": AMOUNT, "account": {"invoice": ORDER_ID}},
    )
    assert answer["result"] == {"allow": True}


def test_a_deeply_nested_body_is_32700_not_a_500(client, payme, invoice):
    body = b"[" * 200_000 + b"]" * 200_000
    answer = raw_post(client, payme.code, body)
    assert answer["error"]["code"] == -32700
    assert nothing_changed(invoice)
    log = IntegrationLog.objects.get(integration=payme)
    assert log.response_data == answer


def test_an_rpc_object_nested_just_past_the_limit_is_32700(client, payme, invoice):
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "CheckPerformTransaction", "params": '
    body += b'{"a":' * 130 + b"1" + b"}" * 130 + b"}"
    answer = raw_post(client, payme.code, body)
    assert answer["error"]["code"] == -32700
    assert nothing_changed(invoice)
