"""Paynet details found in a conformance review against gateways.md section 2: every method that
is not POST is -32300 (OPTIONS too)."""

from __future__ import annotations

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
