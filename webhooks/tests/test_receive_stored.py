"""The receive URL, steps 3 and 4 of the contract: duplicates; the delivery stored as pending
and answered 202, its payload, event type, external id and inbound log; a gateway's own
protocol taking the request over."""

from __future__ import annotations

import json

import pytest

from integrations.models import IntegrationLog, IntegrationStatus
from integrations.providers import PROVIDERS
from integrations.providers.base import Provider
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.tests.helpers import SECRET, hmac_hex, post_signed, receive_url

pytestmark = pytest.mark.django_db


# --- Step 3: duplicates -----------------------------------------------------------------------


def test_duplicate_answers_200_with_the_original(anonymous_client, integration):
    first = post_signed(anonymous_client, integration.code, {"id": "evt_1", "type": "a"})
    second = post_signed(anonymous_client, integration.code, {"id": "evt_1", "type": "a"})
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == {"id": first.json()["id"], "status": "pending", "duplicate": True}
    assert Webhook.objects.count() == 1
    assert IntegrationLog.objects.filter(integration=integration, direction="inbound").count() == 2


def test_same_external_id_in_another_integration_is_not_a_duplicate(anonymous_client, integration):
    other = IntegrationFactory(webhook_secret=SECRET, provider="erp")
    assert post_signed(anonymous_client, integration.code, {"id": "evt_1"}).status_code == 202
    assert post_signed(anonymous_client, other.code, {"id": "evt_1"}).status_code == 202


def test_deliveries_without_an_id_are_never_duplicates(anonymous_client, integration):
    assert post_signed(anonymous_client, integration.code, {"x": 1}).status_code == 202
    assert post_signed(anonymous_client, integration.code, {"x": 1}).status_code == 202
    assert Webhook.objects.count() == 2


# --- Step 4: stored, answered 202 -------------------------------------------------------------


def test_new_delivery_is_stored_pending_and_answered_202(anonymous_client, integration):
    response = post_signed(
        anonymous_client,
        integration.code,
        {"id": "evt_1", "type": "order.paid", "amount": 1500},
        **{"X-Trace": "abc"},
    )
    assert response.status_code == 202
    body = response.json()
    assert body == {"id": body["id"], "status": "pending"}
    webhook = Webhook.objects.get(pk=body["id"])
    assert webhook.status == WebhookStatus.PENDING
    assert webhook.integration == integration
    assert webhook.source == "erp"
    assert webhook.event_type == "order.paid"
    assert webhook.external_id == "evt_1"
    assert webhook.payload == {"id": "evt_1", "type": "order.paid", "amount": 1500}
    assert webhook.headers["X-Trace"] == "abc"
    assert webhook.signature == hmac_hex(SECRET, json.dumps(webhook.payload).encode())
    assert webhook.max_retries == 3


def test_headers_are_kept_except_authorization_and_cookie(anonymous_client, integration):
    post_signed(
        anonymous_client,
        integration.code,
        {"id": "evt_1"},
        Authorization="Bearer top-secret-token",
        Cookie="session=abc",
        **{"X-Custom": "kept"},
    )
    headers = {name.lower(): value for name, value in Webhook.objects.get().headers.items()}
    assert "authorization" not in headers
    assert "cookie" not in headers
    assert headers["x-custom"] == "kept"
    assert headers["content-type"] == "application/json"


def test_form_encoded_body_is_parsed(anonymous_client):
    integration = IntegrationFactory(provider="erp")
    response = anonymous_client.post(
        receive_url(integration.code),
        data="id=42&event=stock.changed&tag=a&tag=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 202
    webhook = Webhook.objects.get()
    assert webhook.payload == {"id": "42", "event": "stock.changed", "tag": ["a", "b"]}
    assert (webhook.external_id, webhook.event_type) == ("42", "stock.changed")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"plain words", "text/plain"),
        (b"<xml/>", "application/xml"),
        (b"{broken", "application/json"),
    ],
)
def test_other_bodies_are_kept_as_raw_text(anonymous_client, body, content_type):
    integration = IntegrationFactory(provider="erp")
    response = anonymous_client.post(
        receive_url(integration.code), data=body, content_type=content_type
    )
    assert response.status_code == 202
    webhook = Webhook.objects.get()
    assert webhook.payload == {"raw": body.decode()}
    assert webhook.event_type == "unknown"


@pytest.mark.parametrize(
    ("body", "content_type", "payload"),
    [
        (b'{"id": "n1", "a": "b\\u0000"}', "application/json", {"id": "n1", "a": "b\ufffd"}),
        (b'{"id": "n2", "\\u0000": 1}', "application/json", {"id": "n2", "\ufffd": 1}),
        (b"id=n3&a=b%00", "application/x-www-form-urlencoded", {"id": "n3", "a": "b\ufffd"}),
        (b"raw\x00text", "text/plain", {"raw": "raw\ufffdtext"}),
        (b"\xff\xfe\x00 not utf-8", "application/json", {"raw": "\ufffd\ufffd\ufffd not utf-8"}),
    ],
    ids=["json-value", "json-key", "form", "text", "not-utf-8"],
)
def test_nul_characters_are_stored_as_replacement_characters(
    anonymous_client, body, content_type, payload
):
    """PostgreSQL cannot hold NUL in text or jsonb: the delivery is still stored, not a 500."""
    integration = IntegrationFactory(provider="erp")
    response = anonymous_client.post(
        receive_url(integration.code), data=body, content_type=content_type
    )
    assert response.status_code == 202, response.content
    assert Webhook.objects.get().payload == payload


@pytest.mark.parametrize(
    "body",
    [b'{"id": "f1", "x": NaN}', b'{"id": "f2", "x": -Infinity}', b'{"x": 1e999}', b"NaN"],
    ids=["nan", "infinity", "overflow", "bare-nan"],
)
def test_json_with_non_finite_numbers_is_kept_as_raw_text(anonymous_client, body):
    """Not JSON by RFC 8259, and jsonb refuses it: kept as text like any other body."""
    integration = IntegrationFactory(provider="erp")
    response = anonymous_client.post(
        receive_url(integration.code), data=body, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    assert Webhook.objects.get().payload == {"raw": body.decode()}


@pytest.mark.parametrize(
    ("config", "payload", "event_type", "external_id"),
    [
        ({}, {"id": 7, "type": "a.b"}, "a.b", "7"),
        ({}, {"event": "ev"}, "ev", None),
        ({}, {"event_type": "et"}, "et", None),
        ({}, {"type": "", "event": "second"}, "second", None),
        ({}, {"nothing": 1}, "unknown", None),
        (
            {"event_type_field": "meta.kind", "external_id_field": "data.ref"},
            {"type": "ignored", "meta": {"kind": "stock.low"}, "data": {"ref": "R-1"}},
            "stock.low",
            "R-1",
        ),
        ({"event_type_field": "meta.kind"}, {"type": "x"}, "unknown", None),
    ],
)
def test_event_type_and_external_id_rules(
    anonymous_client, config, payload, event_type, external_id
):
    integration = IntegrationFactory(provider="erp", config=config)
    response = anonymous_client.post(receive_url(integration.code), data=payload, format="json")
    assert response.status_code == 202
    webhook = Webhook.objects.get()
    assert (webhook.event_type, webhook.external_id) == (event_type, external_id)


def test_retry_attempts_from_config_become_max_retries(anonymous_client):
    integration = IntegrationFactory(provider="erp", config={"retry_attempts": 0})
    anonymous_client.post(receive_url(integration.code), data={"id": 1}, format="json")
    assert Webhook.objects.get().max_retries == 0


@pytest.mark.parametrize(
    ("retry_attempts", "max_retries"),
    [(-1, 0), ("nan", 3), ("many", 3), (1e12, 2_147_483_647)],
)
def test_odd_retry_attempts_still_store_the_delivery(anonymous_client, retry_attempts, max_retries):
    """config is written by hand: a value the column cannot hold is no reason to lose a delivery."""
    integration = IntegrationFactory(provider="erp", config={"retry_attempts": retry_attempts})
    response = anonymous_client.post(receive_url(integration.code), data={"id": 1}, format="json")
    assert response.status_code == 202, response.content
    assert Webhook.objects.get().max_retries == max_retries


def test_every_request_writes_an_inbound_log(anonymous_client, integration):
    post_signed(anonymous_client, integration.code, {"id": "evt_1"})
    post_signed(anonymous_client, integration.code, {"id": "evt_2"}, secret="bad-secret")
    logs = IntegrationLog.objects.filter(integration=integration).order_by("created_at")
    assert [(log.direction, log.action, log.status_code) for log in logs] == [
        ("inbound", "webhook_receive", 202),
        ("inbound", "webhook_receive", 401),
    ]
    assert logs[0].endpoint == f"POST /api/webhooks/receive/{integration.code}"
    assert logs[0].request_data["body"] == {"id": "evt_1"}
    assert "signature" in (logs[1].error_message or "")


def test_trailing_slash_works(anonymous_client, integration):
    body = b'{"id": "s1"}'
    response = anonymous_client.post(
        receive_url(integration.code) + "/",
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(SECRET, body)},
    )
    assert response.status_code == 202


def test_a_signed_json_null_is_stored_as_raw_text(anonymous_client, integration):
    body = b"null"
    response = anonymous_client.post(
        receive_url(integration.code),
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(SECRET, body)},
    )
    assert response.status_code == 202, response.content
    assert Webhook.objects.get(pk=response.json()["id"]).payload == {"raw": "null"}


def gateway_protocol(request, integration):
    from django.http import JsonResponse

    return JsonResponse({"jsonrpc": "2.0", "code": integration.code, "body": request.body.decode()})


class GatewayProvider(Provider):
    receive_protocol = f"{__name__}.gateway_protocol"


def test_a_provider_receiver_takes_the_request_over(anonymous_client, monkeypatch):
    monkeypatch.setitem(PROVIDERS, "test-gateway", f"{__name__}.GatewayProvider")
    integration = IntegrationFactory(provider="test-gateway", status=IntegrationStatus.INACTIVE)
    response = anonymous_client.post(
        receive_url(integration.code), data=b'{"method": "x"}', content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "jsonrpc": "2.0",
        "code": integration.code,
        "body": '{"method": "x"}',
    }
    assert Webhook.objects.count() == 0
