"""Processing: the handler registry, handlers, forwarding and what each outcome writes."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from integrations.models import IntegrationLog
from integrations.tests.factories import IntegrationFactory
from webhooks.handlers import (
    handlers_for,
    pattern_matches,
)
from webhooks.models import WebhookStatus
from webhooks.services import webhook_process
from webhooks.tests.factories import make_webhook

FORWARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


# --- Handler registry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "anything", True),
        ("payment.created", "payment.created", True),
        ("payment.created", "payment.completed", False),
        ("payment.*", "payment.created", True),
        ("payment.*", "payment.refund.done", True),
        ("payment.*", "payments.created", False),
        ("payment.*", "payment", False),
    ],
)
def test_pattern_matching(pattern, value, matches):
    assert pattern_matches(pattern, value) is matches


def test_handlers_for_matches_provider_and_event_type(registered):
    @registered(provider="stripe", event_type="invoice.*")
    def invoices(webhook): ...

    @registered(event_type="*")
    def everything(webhook): ...

    @registered(provider="github", event_type="push")
    def pushes(webhook): ...

    assert handlers_for(provider="stripe", event_type="invoice.paid") == [invoices, everything]
    assert handlers_for(provider="STRIPE", event_type="charge.failed") == [everything]
    assert handlers_for(provider="github", event_type="push") == [everything, pushes]


# --- Outcomes ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_handler_completes_the_webhook(registered):
    seen = []

    @registered(provider="erp", event_type="order.*")
    def on_order(webhook):
        seen.append((webhook.id, webhook.status))

    webhook = make_webhook(event_type="order.created")
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.COMPLETED
    webhook.refresh_from_db()
    assert seen == [(webhook.id, WebhookStatus.PROCESSING)]
    assert webhook.status == WebhookStatus.COMPLETED
    assert webhook.processed_at is not None
    assert webhook.locked_until is None
    # Once completed, another message for it does nothing.
    assert webhook_process(webhook_id=webhook.id) is None
    assert len(seen) == 1


@pytest.mark.django_db
def test_nothing_to_handle_it_is_ignored_with_the_reason():
    webhook = make_webhook(event_type="order.created")
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.IGNORED
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.IGNORED
    assert "no handler" in (webhook.error_message or "")
    assert "forward_url" in (webhook.error_message or "")


@pytest.mark.django_db
def test_forward_posts_the_payload_as_stored(forward_server):
    payload = {"id": "evt_1", "type": "order.created", "amount": 1500, "name": "Choʻlpon"}
    webhook = make_webhook({"forward_url": forward_server.url}, payload=payload)
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.COMPLETED
    [received] = forward_server.requests
    assert json.loads(received.body) == payload
    assert received.headers["X-Webhook-Id"] == str(webhook.id)
    assert received.headers["X-Webhook-Event-Type"] == "order.created"
    assert received.headers["Content-Type"] == "application/json"
    assert "webhook-signature" not in {name.lower() for name in received.headers}
    log = IntegrationLog.objects.get(integration=webhook.integration, action="webhook_forward")
    assert (log.direction, log.status_code) == ("outbound", 200)


@pytest.mark.django_db
def test_a_forward_costs_a_claim_and_the_outcome_written_with_its_log(forward_server):
    """Claim the webhook and read it with its integration in one statement, forward, then
    record the outcome and the call's log in one statement: two queries."""
    from django.test.utils import CaptureQueriesContext

    webhook = make_webhook({"forward_url": forward_server.url})
    with CaptureQueriesContext(connection) as captured:
        assert webhook_process(webhook_id=webhook.id) == WebhookStatus.COMPLETED
    statements = [query["sql"].split(" ", 1)[0] for query in captured.captured_queries]
    # Elsewhere (SQLite in `make run`) the same four steps as separate statements.
    expected = (
        ["WITH", "WITH"]
        if connection.vendor == "postgresql"
        else ["UPDATE", "SELECT", "INSERT", "UPDATE"]
    )
    assert statements == expected, statements
    webhook.refresh_from_db()
    assert (webhook.status, webhook.locked_until) == (WebhookStatus.COMPLETED, None)
    log = IntegrationLog.objects.get(integration=webhook.integration, action="webhook_forward")
    assert (log.status_code, log.metadata) == (200, {"attempt": 1})
    assert log.request_data["body"] == webhook.payload


@pytest.mark.django_db
def test_the_forward_log_written_with_the_outcome_is_redacted(forward_server):
    """Written in the outcome's statement, the log is still cleaned of the integration's
    secrets, wherever the payload carried them."""
    webhook = make_webhook(
        {"forward_url": forward_server.url},
        payload={"id": "evt_9", "leak": "key sk_live_abcdef123456 inside"},
    )
    integration = webhook.integration
    assert integration is not None
    integration.api_key = "sk_live_abcdef123456"
    integration.save()
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.COMPLETED
    log = IntegrationLog.objects.get(integration=webhook.integration, action="webhook_forward")
    assert "sk_live_abcdef123456" not in json.dumps(log.request_data)
    # The destination gets the body exactly as stored.
    assert json.loads(forward_server.requests[0].body) == webhook.payload


@pytest.mark.django_db
def test_forward_is_signed_with_standard_webhooks_when_a_forward_secret_is_set(forward_server):
    webhook = make_webhook({"forward_url": forward_server.url, "forward_secret": FORWARD_SECRET})
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.COMPLETED
    [received] = forward_server.requests
    headers = {name.lower(): value for name, value in received.headers.items()}
    verified = StandardWebhook(FORWARD_SECRET).verify(received.body, headers)
    assert verified == webhook.payload
    assert headers["webhook-id"] == str(webhook.id)
    with pytest.raises(WebhookVerificationError, match="signature"):
        StandardWebhook("whsec_" + "A" * 32).verify(received.body, headers)


@pytest.mark.django_db
def test_handlers_and_forward_both_run(registered, forward_server):
    calls = []

    @registered(provider="erp")
    def on_any(webhook):
        calls.append(webhook.id)

    webhook = make_webhook({"forward_url": forward_server.url})
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.COMPLETED
    assert calls == [webhook.id]
    assert len(forward_server.requests) == 1


@pytest.mark.django_db
def test_emitted_events_enter_the_same_pipeline(registered, django_capture_on_commit_callbacks):
    from webhooks.services import webhook_emit

    seen = []

    @registered(provider="payme", event_type="payment.*")
    def on_payment(webhook):
        seen.append(webhook.payload["order_id"])

    integration = IntegrationFactory(provider="payme")
    with django_capture_on_commit_callbacks() as callbacks:
        first = webhook_emit(
            integration=integration,
            event_type="payment.completed",
            payload={"order_id": "A-1", "amount": 150000},
            external_id="payme:tx1:completed",
        )
        again = webhook_emit(
            integration=integration,
            event_type="payment.completed",
            payload={"order_id": "A-1", "amount": 150000},
            external_id="payme:tx1:completed",
        )
    assert first.id == again.id
    assert len(callbacks) == 1
    assert (first.status, first.source) == ("pending", "payme")
    assert webhook_process(webhook_id=first.id) == WebhookStatus.COMPLETED
    assert seen == ["A-1"]
