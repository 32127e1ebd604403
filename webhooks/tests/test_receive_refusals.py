"""The receive URL, steps 1 and 2 of the contract: an unknown code, an inactive integration, a
body too large (and how the body is read); the signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory, override_settings
from standardwebhooks import Webhook as StandardWebhook

from integrations.models import IntegrationLog, IntegrationStatus
from integrations.services import integration_delete
from integrations.tests.factories import IntegrationFactory
from webhooks.inbound import BodyTooLarge, read_body
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_process
from webhooks.tests.helpers import post_signed, receive_url

pytestmark = pytest.mark.django_db


# --- Step 1: unknown, inactive, too large ------------------------------------------------------


def test_unknown_code_is_404(anonymous_client):
    response = anonymous_client.post(receive_url("nope"), data={}, format="json")
    assert response.status_code == 404
    assert Webhook.objects.count() == 0


def test_soft_deleted_integration_is_404(anonymous_client, integration):
    integration_delete(integration=integration)
    response = post_signed(anonymous_client, integration.code, {"id": "evt_1"})
    assert response.status_code == 404
    assert Webhook.objects.count() == 0


def test_inactive_integration_is_503_with_retry_after_and_nothing_stored(
    anonymous_client, integration
):
    integration.status = IntegrationStatus.INACTIVE
    integration.save()
    response = post_signed(anonymous_client, integration.code, {"id": "evt_1"})
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert Webhook.objects.count() == 0
    log = IntegrationLog.objects.get(integration=integration)
    assert (log.direction, log.status_code) == ("inbound", 503)


@override_settings(WEBHOOK_MAX_BODY_BYTES=100)
def test_body_over_the_limit_is_413_and_nothing_stored(anonymous_client, integration):
    response = post_signed(anonymous_client, integration.code, {"id": "evt_1", "x": "y" * 200})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert Webhook.objects.count() == 0
    assert IntegrationLog.objects.get(integration=integration).status_code == 413


@override_settings(WEBHOOK_MAX_BODY_BYTES=100)
def test_body_at_the_limit_is_accepted(anonymous_client, integration):
    payload = {"id": "evt_1", "x": ""}
    padding = 100 - len(json.dumps(payload))
    payload["x"] = "y" * padding
    assert len(json.dumps(payload)) == 100
    assert post_signed(anonymous_client, integration.code, payload).status_code == 202


def test_body_is_read_in_chunks_and_given_up_on_past_the_limit(monkeypatch):
    """Without a usable Content-Length the reader stops after the limit, not at the end."""
    request = RequestFactory().post("/", data=b"x" * 300_000, content_type="text/plain")
    del request.META["CONTENT_LENGTH"]
    read_sizes: list[int] = []
    original_read = request.read

    def counting_read(size: int | None = -1) -> bytes:
        chunk = original_read(size)
        read_sizes.append(len(chunk))
        return chunk

    monkeypatch.setattr(request, "read", counting_read)
    with pytest.raises(BodyTooLarge):
        read_body(request, limit=100_000)
    assert sum(read_sizes) < 300_000
    assert all(size > 0 for size in read_sizes)


def test_declared_length_over_the_limit_is_refused_before_reading(monkeypatch):
    request = RequestFactory().post("/", data=b"x" * 10, content_type="text/plain")
    request.META["CONTENT_LENGTH"] = "5000000"
    monkeypatch.setattr(request, "read", lambda *args: pytest.fail("the body was read"))
    with pytest.raises(BodyTooLarge):
        read_body(request, limit=1000)


# --- Step 2: signature ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 64, "sha256=" + "f" * 64],
    ids=["missing", "empty", "wrong", "wrong-prefixed"],
)
def test_bad_signature_is_401_and_stored_ignored_rejected(anonymous_client, integration, signature):
    body = json.dumps({"id": "evt_1", "type": "order.paid"}).encode()
    headers = {"X-Signature": signature} if signature is not None else {}
    response = anonymous_client.post(
        receive_url(integration.code), data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    webhook = Webhook.objects.get()
    assert webhook.status == WebhookStatus.IGNORED
    assert webhook.signature_verified is False
    assert webhook.rejected is True
    assert "signature" in (webhook.error_message or "")
    assert webhook.payload == {"id": "evt_1", "type": "order.paid"}
    assert str(webhook.id) == response.json()["id"]
    # Never processed, even if a message arrives for it.
    assert webhook_process(webhook_id=webhook.id) is None
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.IGNORED


def test_a_rejected_delivery_does_not_block_the_genuine_one(anonymous_client, integration):
    forged = post_signed(anonymous_client, integration.code, {"id": "evt_1"}, secret="wrong-key")
    assert forged.status_code == 401
    genuine = post_signed(anonymous_client, integration.code, {"id": "evt_1"})
    assert genuine.status_code == 202
    assert Webhook.objects.filter(external_id="evt_1").count() == 2


def test_scheme_that_needs_a_secret_without_one_refuses(anonymous_client):
    integration = IntegrationFactory(provider="github")
    response = anonymous_client.post(
        receive_url(integration.code),
        data=b"{}",
        content_type="application/json",
        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64},
    )
    assert response.status_code == 401
    assert "no webhook secret" in (Webhook.objects.get().error_message or "")


def test_none_scheme_accepts_unsigned_and_marks_it_unverified(anonymous_client):
    integration = IntegrationFactory(provider="erp")
    response = anonymous_client.post(
        receive_url(integration.code), data={"id": "a1"}, format="json"
    )
    assert response.status_code == 202
    webhook = Webhook.objects.get()
    assert webhook.signature_verified is False
    assert webhook.status == WebhookStatus.PENDING


def test_verified_delivery_is_marked_verified(anonymous_client, integration):
    response = post_signed(anonymous_client, integration.code, {"id": "evt_1"})
    assert response.status_code == 202
    assert Webhook.objects.get().signature_verified is True


def test_github_delivery_end_to_end(anonymous_client):
    integration = IntegrationFactory(provider="github", webhook_secret="It's a Secret to Everybody")
    response = anonymous_client.post(
        receive_url(integration.code),
        data=b"Hello, World!",
        content_type="text/plain",
        headers={
            "X-Hub-Signature-256": (
                "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
            ),
            "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            "X-GitHub-Event": "push",
        },
    )
    assert response.status_code == 202, response.content
    webhook = Webhook.objects.get()
    assert webhook.external_id == "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert webhook.event_type == "push"
    assert webhook.payload == {"raw": "Hello, World!"}
    assert webhook.source == "github"


def test_stripe_delivery_end_to_end(anonymous_client):
    secret = "whsec_test_stripe"
    integration = IntegrationFactory(provider="stripe", webhook_secret=secret)
    body = json.dumps({"id": "evt_9", "type": "payment_intent.succeeded"}).encode()
    timestamp = int(time.time())
    v1 = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    response = anonymous_client.post(
        receive_url(integration.code),
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": f"t={timestamp},v1={v1}"},
    )
    assert response.status_code == 202, response.content
    webhook = Webhook.objects.get()
    assert (webhook.external_id, webhook.event_type) == ("evt_9", "payment_intent.succeeded")


def test_stale_stripe_signature_is_401(anonymous_client):
    secret = "whsec_test_stripe"
    integration = IntegrationFactory(provider="stripe", webhook_secret=secret)
    body = b'{"id": "evt_9"}'
    timestamp = int(time.time()) - 301
    v1 = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    response = anonymous_client.post(
        receive_url(integration.code),
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": f"t={timestamp},v1={v1}"},
    )
    assert response.status_code == 401
    assert "too old" in (Webhook.objects.get().error_message or "")


def test_standard_webhooks_delivery_signed_by_the_package(anonymous_client):
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    integration = IntegrationFactory(provider="svix", webhook_secret=secret)
    body = json.dumps({"type": "invoice.paid", "data": {"amount": 100}})
    now = datetime.now(tz=UTC)
    signature = StandardWebhook(secret).sign(msg_id="msg_1", timestamp=now, data=body)
    response = anonymous_client.post(
        receive_url(integration.code),
        data=body.encode(),
        content_type="application/json",
        headers={
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        },
    )
    assert response.status_code == 202, response.content
    webhook = Webhook.objects.get()
    assert (webhook.external_id, webhook.event_type) == ("msg_1", "invoice.paid")
