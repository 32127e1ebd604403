"""Paynet with the database down before its integration could be read (gateways.md 2.3: -32603
for "database down", never a 5xx; CONTRACT: a gateway call never answers a 5xx).

The outage is real: the connection is pointed at a closed port, so the receive view's lookup of
the integration fails as it does when PostgreSQL is stopped. A call this process has seen for a
Paynet code, or one that reads as a Paynet call (JSON-RPC 2.0, one of Paynet's methods, with
Paynet's ``serviceId``), is answered HTTP 200 with -32603; an ordinary webhook sender still gets
the 503 with ``Retry-After`` that tells it to deliver again."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from payments.tests.paynet.calls import CODE, paynet_integration, perform_params, post_raw

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEM_ERROR = {"code": -32603, "message": "Системная ошибка"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def database_down() -> Iterator[None]:
    """Every new connection of the default alias goes to a port nobody listens on."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": str(_closed_port())})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def call(client: Any, body: Any, *, code: str = CODE) -> Any:
    return post_raw(client, body if isinstance(body, str) else json.dumps(body), code=code)


def envelope(method: str = "PerformTransaction", **extra: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 77, "method": method, "params": perform_params(), **extra}


def test_a_paynet_call_with_the_database_down_is_32603_with_http_200(client):
    paynet_integration()
    with database_down():
        response = call(client, envelope())
    assert response.status_code == 200
    assert response.json() == {"jsonrpc": "2.0", "id": 77, "error": SYSTEM_ERROR}


@pytest.mark.parametrize("method", [" GetInformation", "CheckTransaction", "GetStatement"])
def test_every_paynet_method_reads_as_a_paynet_call(client, method):
    paynet_integration()
    with database_down():
        response = call(client, envelope(method, id="abc"))
    assert (response.status_code, response.json()["id"]) == (200, "abc")
    assert response.json()["error"] == SYSTEM_ERROR


def test_a_code_this_process_has_served_as_paynet_is_answered_whatever_the_body(client):
    paynet_integration()
    assert call(client, envelope("CheckTransaction")).status_code == 200
    with database_down():
        unreadable = call(client, "{not json")
        not_post = client.get(f"/api/webhooks/receive/{CODE}")
    assert (unreadable.status_code, unreadable.json()["error"]) == (200, SYSTEM_ERROR)
    assert unreadable.json()["id"] is None
    assert not_post.status_code == 200
    assert not_post.json()["error"]["code"] == -32300


def test_an_ordinary_webhook_sender_still_gets_503_with_retry_after(client):
    from integrations.tests.factories import IntegrationFactory

    IntegrationFactory(code="plain", provider="rest", status="active")
    with database_down():
        response = call(client, {"type": "order.paid", "id": "evt-1"}, code="plain")
    assert response.status_code == 503
    assert "Retry-After" in response


def test_a_json_rpc_body_without_paynets_service_id_is_not_taken_for_paynet(client):
    # Payme speaks JSON-RPC with some of the same method names, but no serviceId.
    body = {"jsonrpc": "2.0", "id": 1, "method": "PerformTransaction", "params": {"id": "x"}}
    with database_down():
        response = call(client, body, code="someone")
    assert response.status_code == 503


def test_a_code_served_as_another_provider_is_not_taken_for_paynet(client):
    from integrations.tests.factories import IntegrationFactory

    IntegrationFactory(code="plain", provider="rest", status="active")
    assert call(client, {"type": "x"}, code="plain").status_code == 202
    with database_down():
        response = call(client, envelope(), code="plain")
    assert response.status_code == 503
