"""Paynet details found in a conformance review against gateways.md section 2: every method that
is not POST is -32300 (OPTIONS too), an ``id`` that is any JSON number is echoed, and the login
(``api_key``) is a credential no log holds."""

from __future__ import annotations

import json

import pytest

from payments.tests.helpers import receive_url
from payments.tests.paynet.calls import AUTHORIZATION, CODE, paynet_integration, post_raw

pytestmark = pytest.mark.django_db

NOT_POST = {"code": -32300, "message": "Метод запроса не POST"}


@pytest.mark.parametrize("authorization", [AUTHORIZATION, None])
def test_options_is_32300_with_http_200(client, paynet, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.options(receive_url(CODE), headers=headers)
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": None, "error": NOT_POST}


def test_options_of_an_ordinary_webhook_url_is_unchanged(client):
    from integrations.tests.factories import IntegrationFactory

    IntegrationFactory(code="plain", provider="rest", status="active")
    response = client.options(receive_url("plain"))
    assert response.status_code == 200
    assert "jsonrpc" not in response.json()


@pytest.mark.parametrize("request_id", [1.5, -3, 0, 10**20, 2.0])
def test_a_numeric_id_of_any_kind_is_echoed(client, paynet, request_id):
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "Nope", "params": {}})
    response = post_raw(client, body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["id"] == request_id and type(answer["id"]) is type(request_id)
    assert answer["error"]["code"] == -32601


@pytest.mark.parametrize("request_id", [True, None, [1], {"a": 1}])
def test_an_id_that_is_not_a_number_or_a_string_is_32600_with_null(client, paynet, request_id):
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "Nope", "params": {}})
    response = post_raw(client, body)
    assert response.json()["id"] is None
    assert response.json()["error"]["code"] == -32600


def test_the_login_is_a_credential_and_never_in_a_log(client):
    """CONTRACT: no integration log holds a stored credential, ``api_key`` included (Paynet's
    login), also when a call carries it somewhere of its own."""
    from integrations.models import IntegrationLog
    from payments.tests.paynet.calls import PASSWORD, basic, rpc

    login = "paynet-login-4711"
    paynet = paynet_integration(api_key=login)
    fields = {"order_id": "nobody", "note": f"sent by {login}"}
    answer = rpc(
        client,
        "GetInformation",
        {"serviceId": 4321, "fields": fields},
        authorization=basic(login, PASSWORD),
    )
    assert answer["error"]["code"] == 302
    log = IntegrationLog.objects.get(integration=paynet)
    text = json.dumps([log.endpoint, log.request_data, log.response_data, log.error_message])
    assert login not in text
    assert log.request_data["body"]["params"]["fields"]["note"] == "sent by [REDACTED]"
