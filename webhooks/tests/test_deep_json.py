"""A body nested too deep to read is a delivery like any other: stored as ``payload.raw``,
answered, logged and processed, never a 500 (issue #9: ``[`` × 200,000 was a RecursionError)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from integrations.jsontext import MAX_JSON_DEPTH, JSONTooDeep, json_loads_bounded
from integrations.models import IntegrationLog
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_process
from webhooks.tests.helpers import SECRET, hmac_hex, receive_url

pytestmark = pytest.mark.django_db

DEEP = b"[" * 200_000 + b"]" * 200_000  # 400 KB, under WEBHOOK_MAX_BODY_BYTES


def post_raw(client: Client, code: str, body: bytes, *, secret: str = SECRET):
    return client.post(
        receive_url(code),
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(secret, body)},
    )


def test_a_deeply_nested_signed_body_is_stored_as_raw_and_answered_202(integration):
    response = post_raw(Client(), integration.code, DEEP)

    assert response.status_code == 202, response.content[:500]
    webhook = Webhook.objects.get(pk=response.json()["id"])
    assert webhook.status == WebhookStatus.PENDING
    assert webhook.signature_verified is True
    assert webhook.payload == {"raw": DEEP.decode()}
    assert webhook.event_type == "unknown"
    log = IntegrationLog.objects.get(integration=integration, direction="inbound")
    assert log.status_code == 202


def test_a_deep_body_with_a_bad_signature_is_401_and_kept_ignored(integration):
    response = post_raw(Client(), integration.code, DEEP, secret="not-the-secret")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    webhook = Webhook.objects.get(integration=integration)
    assert webhook.status == WebhookStatus.IGNORED
    assert webhook.payload == {"raw": DEEP.decode()}


def test_the_stored_deep_body_is_forwarded_as_stored(forward_server):
    integration = IntegrationFactory(
        provider="erp", webhook_secret=SECRET, config={"forward_url": forward_server.url}
    )
    response = post_raw(Client(), integration.code, DEEP)
    webhook_id = response.json()["id"]

    webhook_process(webhook_id=webhook_id)

    assert Webhook.objects.get(pk=webhook_id).status == WebhookStatus.COMPLETED
    (forwarded,) = forward_server.requests
    assert json.loads(forwarded.body) == {"raw": DEEP.decode()}
    assert forwarded.headers["X-Webhook-Id"] == webhook_id


def test_nesting_up_to_the_limit_is_parsed_and_one_more_level_is_raw(integration):
    client = Client()
    at_limit = ("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode()
    over = ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode()

    parsed = Webhook.objects.get(pk=post_raw(client, integration.code, at_limit).json()["id"])
    kept = Webhook.objects.get(pk=post_raw(client, integration.code, over).json()["id"])

    assert isinstance(parsed.payload, list)
    assert kept.payload == {"raw": over.decode()}


def test_brackets_inside_strings_do_not_count_as_nesting(integration):
    payload = {"id": "evt_brackets", "note": "[{" * 5000 + '\\"[' * 100, "type": "x"}
    body = json.dumps(payload).encode()

    response = post_raw(Client(), integration.code, body)

    assert response.status_code == 202
    assert Webhook.objects.get(pk=response.json()["id"]).payload == payload


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        ("[" * 200_000 + "]" * 200_000, True),
        ('{"a":' * 129 + "1" + "}" * 129, True),
        ('{"a":' * 128 + "1" + "}" * 128, False),
        ("[" * 129, True),  # unterminated: still refused before the reader recurses
        ('["' + "[" * 1000 + '"]', False),
        ("[[]]" * 10_000, False),  # many brackets, shallow
    ],
)
def test_json_loads_bounded(text, too_deep):
    if too_deep:
        with pytest.raises(JSONTooDeep):
            json_loads_bounded(text)
    else:
        try:
            json_loads_bounded(text)
        except JSONTooDeep:  # pragma: no cover - the failure this test exists for
            pytest.fail("refused as too deep")
        except ValueError:
            pass  # not JSON for another reason: fine, only depth is under test here
