"""The receive URL, steps 1 to 4 of the contract."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from django.db import connections
from django.test import Client, RequestFactory, override_settings
from standardwebhooks import Webhook as StandardWebhook

from integrations.models import IntegrationLog, IntegrationStatus
from integrations.providers import PROVIDERS
from integrations.providers.base import Provider
from integrations.services import integration_delete
from integrations.tests.factories import IntegrationFactory
from webhooks.inbound import BodyTooLarge, read_body
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_process
from webhooks.tests.helpers import SECRET, hmac_hex, post_signed, receive_url

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


@pytest.mark.django_db(transaction=True)
def test_the_record_survives_a_failure_after_it_was_stored(monkeypatch, integration):
    """Even with ATOMIC_REQUESTS on, the receive view is outside the request transaction: the row
    committed before an error is not rolled back with it."""
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)
    monkeypatch.setitem(connections["default"].settings_dict, "ATOMIC_REQUESTS", True)

    def broken_enqueue(**kwargs):
        raise RuntimeError("failure after the commit")

    # Both paths: the first delivery (full) and the later ones (common, receive_cached).
    monkeypatch.setattr("webhooks.services.receive.webhook_enqueue", broken_enqueue)
    monkeypatch.setattr("webhooks.services.receive_cached.webhook_enqueue", broken_enqueue)
    client = Client(raise_request_exception=False)
    body = b'{"id": "evt_keep"}'
    response = client.post(
        receive_url(integration.code),
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(SECRET, body)},
    )
    assert response.status_code == 500
    assert Webhook.objects.filter(external_id="evt_keep").exists()
    assert IntegrationLog.objects.filter(integration=integration, status_code=202).exists()


@pytest.mark.django_db(transaction=True)
def test_the_row_and_its_inbound_log_are_written_together_or_not_at_all(monkeypatch, integration):
    """The log is written in the webhook's transaction: when it cannot be written the delivery
    is answered 500 with nothing stored, so the sender delivers it again; no row without log."""

    def broken_log(*args, **kwargs):
        raise RuntimeError("log storage down")

    monkeypatch.setattr("webhooks.services.receive.integration_log_build", broken_log)
    monkeypatch.setattr("webhooks.services.receive_cached._logged_request", broken_log)
    client = Client(raise_request_exception=False)
    body = b'{"id": "evt_again"}'
    response = client.post(
        receive_url(integration.code),
        data=body,
        content_type="application/json",
        headers={"X-Signature": hmac_hex(SECRET, body)},
    )
    assert response.status_code == 500
    assert not Webhook.objects.filter(external_id="evt_again").exists()

    monkeypatch.undo()
    again = post_signed(client, integration.code, {"id": "evt_again"})
    assert again.status_code == 202
    webhook = Webhook.objects.get(external_id="evt_again")
    log = IntegrationLog.objects.get(integration=integration, status_code=202)
    assert log.metadata["webhook_id"] == str(webhook.id)


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


# --- The cost of a receive -------------------------------------------------------------------


def _statements(captured) -> list[str]:
    return [query["sql"].split(" ", 1)[0].upper() for query in captured.captured_queries]


def _send_recorder(monkeypatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr(
        "webhooks.tasks.process_webhook.apply_async",
        lambda args, countdown=None: sent.append(args[0]),
    )
    return sent


@pytest.mark.django_db(transaction=True)
def test_a_first_delivery_costs_one_lookup_and_one_statement_writing_row_and_log(
    anonymous_client, integration, monkeypatch
):
    """Read the integration, then insert the webhook and its inbound log in one statement (its
    own transaction); then the message. No UPDATE per request (the row is stamped
    ``enqueued_at`` as it is inserted), no BEGIN/COMMIT round trips."""
    from django.test.utils import CaptureQueriesContext

    sent = _send_recorder(monkeypatch)
    with CaptureQueriesContext(connections["default"]) as captured:
        response = post_signed(anonymous_client, integration.code, {"id": "evt_counted"})

    assert response.status_code == 202
    statements = _statements(captured)
    assert statements == ["SELECT", "WITH"], statements
    insert = captured.captured_queries[1]["sql"]
    assert 'INSERT INTO "webhooks"' in insert and 'INSERT INTO "integration_logs"' in insert
    webhook = Webhook.objects.get(external_id="evt_counted")
    assert webhook.enqueued_at is not None
    assert sent[-1] == str(webhook.id)
    log = IntegrationLog.objects.get(metadata__webhook_id=str(webhook.id))
    assert (log.direction, log.status_code, log.action) == ("inbound", 202, "webhook_receive")
    assert log.request_data["body"] == {"id": "evt_counted"}


@pytest.mark.django_db(transaction=True)
def test_later_deliveries_cost_one_statement_that_checks_the_integration_row(
    anonymous_client, integration, monkeypatch
):
    """The integration read by the first request is kept; the next request's one statement
    stores the webhook and its log only if the integration's row is unchanged (its xmin)."""
    from django.test.utils import CaptureQueriesContext

    sent = _send_recorder(monkeypatch)
    post_signed(anonymous_client, integration.code, {"id": "evt_warm"})
    with CaptureQueriesContext(connections["default"]) as captured:
        response = post_signed(anonymous_client, integration.code, {"id": "evt_counted"})

    assert response.status_code == 202
    assert _statements(captured) == ["WITH"]
    assert "xmin" in captured.captured_queries[0]["sql"]
    webhook = Webhook.objects.get(external_id="evt_counted")
    assert sent[-1] == str(webhook.id)
    assert IntegrationLog.objects.filter(metadata__webhook_id=str(webhook.id)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_costs_at_most_six_queries(anonymous_client, integration):
    from django.test.utils import CaptureQueriesContext

    post_signed(anonymous_client, integration.code, {"id": "evt_twice"})
    with CaptureQueriesContext(connections["default"]) as captured:
        response = post_signed(anonymous_client, integration.code, {"id": "evt_twice"})

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert len(captured.captured_queries) <= 6, _statements(captured)


@pytest.mark.django_db(transaction=True)
def test_a_message_that_cannot_be_sent_clears_the_stamp_for_the_sweeper(
    anonymous_client, integration, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("webhooks.tasks.process_webhook.apply_async", broker_down)
    monkeypatch.setattr("webhooks.services.enqueue._broker_paused_until", 0.0)
    response = post_signed(anonymous_client, integration.code, {"id": "evt_unsent"})

    assert response.status_code == 202
    webhook = Webhook.objects.get(external_id="evt_unsent")
    assert (webhook.status, webhook.enqueued_at) == (WebhookStatus.PENDING, None)


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
