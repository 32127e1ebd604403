"""Paynet details found in a conformance review against gateways.md section 2: every method that
is not POST is -32300 (OPTIONS too), and an ``id`` that is any JSON number is echoed."""

from __future__ import annotations

import json

import pytest

from payments.tests.conftest import receive_url
from payments.tests.paynet_calls import AUTHORIZATION, CODE, paynet_integration

pytestmark = pytest.mark.django_db

NOT_POST = {"code": -32300, "message": "Метод запроса не POST"}


@pytest.fixture
def paynet(db):
    return paynet_integration()


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
    response = client.post(
        receive_url(CODE),
        data=body,
        content_type="application/json",
        headers={"Authorization": AUTHORIZATION},
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["id"] == request_id and type(answer["id"]) is type(request_id)
    assert answer["error"]["code"] == -32601


@pytest.mark.parametrize("request_id", [True, None, [1], {"a": 1}])
def test_an_id_that_is_not_a_number_or_a_string_is_32600_with_null(client, paynet, request_id):
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "Nope", "params": {}})
    response = client.post(
        receive_url(CODE),
        data=body,
        content_type="application/json",
        headers={"Authorization": AUTHORIZATION},
    )
    assert response.json()["id"] is None
    assert response.json()["error"]["code"] == -32600
