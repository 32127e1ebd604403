"""Processing: handlers, forwarding, retries with backoff, failure, and the atomic claim."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from integrations.models import IntegrationLog
from integrations.tests.factories import IntegrationFactory
from webhooks.handlers import (
    handlers_for,
    pattern_matches,
    unregister_webhook_handler,
    webhook_handler,
)
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import retry_delay_seconds, webhook_process, webhook_sweep
from webhooks.tests.factories import WebhookFactory

FORWARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def registered():
    """Register handlers for one test only."""
    functions = []

    def register(provider: str = "*", event_type: str = "*"):
        def decorator(function):
            functions.append(function)
            return webhook_handler(provider=provider, event_type=event_type)(function)

        return decorator

    yield register
    for function in functions:
        unregister_webhook_handler(function)


def make_webhook(config: dict | None = None, provider: str = "erp", **fields) -> Webhook:
    integration = IntegrationFactory(provider=provider, config=config or {})
    return WebhookFactory(
        integration=integration,
        max_retries=(config or {}).get("retry_attempts", 3),
        **fields,
    )


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
def test_a_webhook_already_taken_costs_one_read():
    """A second message for a webhook that is no longer pending finds nothing to do."""
    from django.test.utils import CaptureQueriesContext

    webhook = make_webhook(status=WebhookStatus.COMPLETED)
    with CaptureQueriesContext(connection) as captured:
        assert webhook_process(webhook_id=webhook.id) is None
    assert len(captured.captured_queries) == 1


@pytest.mark.django_db
def test_the_claim_takes_the_lease_the_integration_configures(registered):
    """The claim is written before the integration is read, with the lease this process used
    last; an integration with its own lease gets it before any work starts."""
    leases = []

    @registered(provider="erp", event_type="lease.*")
    def record_lease(webhook):
        stored = Webhook.objects.values_list("locked_until", flat=True).get(pk=webhook.pk)
        assert stored is not None
        leases.append(((stored - timezone.now()).total_seconds(), webhook.locked_until == stored))

    for seconds in (600, 600, 45):
        webhook = make_webhook({"processing_lease_seconds": seconds}, event_type="lease.check")
        assert webhook_process(webhook_id=webhook.id) == WebhookStatus.COMPLETED
    assert [round(left) for left, _ in leases] == [600, 600, 45]
    assert all(same for _, same in leases)


def _lose_the_claim_after_the_forward(monkeypatch, webhook: Webhook) -> datetime:
    """Make the forward's HTTP call, then let the sweeper take the lease back and a second
    worker claim the webhook before the first records anything; return the second's lease."""
    from webhooks.services import process

    real_forward = process.webhook_forward
    other_lease = timezone.now() + timedelta(minutes=5)

    def forward_then_lose_the_claim(**kwargs):
        try:
            return real_forward(**kwargs)
        finally:
            Webhook.objects.filter(pk=webhook.pk).update(
                status=WebhookStatus.PROCESSING, locked_until=other_lease, retry_count=1
            )

    monkeypatch.setattr(process, "webhook_forward", forward_then_lose_the_claim)
    return other_lease


@pytest.mark.django_db
def test_a_claim_lost_during_the_forward_keeps_its_log_and_leaves_the_row_alone(
    forward_server, monkeypatch
):
    webhook = make_webhook({"forward_url": forward_server.url})
    other_lease = _lose_the_claim_after_the_forward(monkeypatch, webhook)
    webhook_process(webhook_id=webhook.id)
    webhook.refresh_from_db()
    # The second worker's claim stands: not completed over it.
    assert (webhook.status, webhook.locked_until) == (WebhookStatus.PROCESSING, other_lease)
    assert (webhook.processed_at, webhook.retry_count) == (None, 1)
    # The call was made, so it is logged all the same.
    [log] = IntegrationLog.objects.filter(integration=webhook.integration, action="webhook_forward")
    assert (log.status_code, log.direction) == (200, "outbound")
    assert len(forward_server.requests) == 1


@pytest.mark.django_db
def test_a_claim_lost_during_a_failed_forward_keeps_its_log_and_schedules_nothing(
    forward_server, monkeypatch
):
    forward_server.status = 503
    webhook = make_webhook({"forward_url": forward_server.url})
    other_lease = _lose_the_claim_after_the_forward(monkeypatch, webhook)
    webhook_process(webhook_id=webhook.id)
    webhook.refresh_from_db()
    assert (webhook.status, webhook.locked_until) == (WebhookStatus.PROCESSING, other_lease)
    assert (webhook.retry_count, webhook.next_retry_at, webhook.error_message) == (1, None, None)
    [log] = IntegrationLog.objects.filter(integration=webhook.integration, action="webhook_forward")
    assert (log.status_code, log.error_message) == (503, "HTTP 503")


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


# --- Failure and retries ----------------------------------------------------------------------


@pytest.mark.django_db
def test_failed_forward_is_retried_later_with_backoff(forward_server):
    forward_server.status = 500
    webhook = make_webhook({"forward_url": forward_server.url, "retry_backoff_seconds": 10})
    before = timezone.now()
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.PENDING
    after = timezone.now()
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING
    assert webhook.retry_count == 1
    assert "HTTP 500" in (webhook.error_message or "")
    # 10 s ± 20 % from the moment the attempt failed, however long the attempt took.
    assert webhook.next_retry_at is not None
    assert before + timedelta(seconds=8) <= webhook.next_retry_at <= after + timedelta(seconds=12)
    # Not due yet: a message arriving early does nothing.
    assert webhook_process(webhook_id=webhook.id) is None
    assert len(forward_server.requests) == 1


@pytest.mark.django_db
def test_after_max_retries_it_fails_having_been_tried_one_plus_max_retries_times(forward_server):
    forward_server.status = 503
    webhook = make_webhook({"forward_url": forward_server.url, "retry_attempts": 2})
    outcomes = []
    for _ in range(5):
        Webhook.objects.filter(pk=webhook.pk).update(next_retry_at=timezone.now())
        outcomes.append(webhook_process(webhook_id=webhook.id))
    assert outcomes == ["pending", "pending", "failed", None, None]
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.FAILED
    assert webhook.retry_count == 2
    assert "HTTP 503" in (webhook.error_message or "")
    assert len(forward_server.requests) == 3


@pytest.mark.django_db
def test_retry_attempts_zero_means_no_retry(forward_server):
    forward_server.status = 500
    webhook = make_webhook({"forward_url": forward_server.url, "retry_attempts": 0})
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.FAILED
    assert len(forward_server.requests) == 1


@pytest.mark.django_db
def test_forward_slower_than_the_timeout_fails(forward_server):
    forward_server.delay = 10.0
    webhook = make_webhook({"forward_url": forward_server.url, "timeout": 200})
    started = time.monotonic()
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.PENDING
    assert time.monotonic() - started < 5.0  # 0.2 s, with room for a busy machine; not 10 s
    webhook.refresh_from_db()
    assert "timed out" in (webhook.error_message or "")


@pytest.mark.django_db
def test_unreachable_forward_url_fails():
    webhook = make_webhook({"forward_url": "http://127.0.0.1:9/hook", "retry_attempts": 0})
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.FAILED
    webhook.refresh_from_db()
    assert "failed" in (webhook.error_message or "")


@pytest.mark.django_db
def test_a_raising_handler_fails_the_attempt(registered):
    @registered(provider="erp")
    def broken(webhook):
        raise ValueError("stock item 17 unknown")

    webhook = make_webhook()
    assert webhook_process(webhook_id=webhook.id) == WebhookStatus.PENDING
    webhook.refresh_from_db()
    assert webhook.error_message == "ValueError: stock item 17 unknown"
    assert webhook.retry_count == 1


def test_backoff_doubles_with_jitter_and_is_capped_at_one_hour():
    integration = IntegrationFactory.build(config={"retry_backoff_seconds": 30})

    for retry_count, nominal in [(1, 30), (2, 60), (3, 120), (4, 240)]:
        delays = [
            retry_delay_seconds(integration=integration, retry_count=retry_count) for _ in range(50)
        ]
        assert all(0.8 * nominal <= delay <= 1.2 * nominal for delay in delays)
        assert len(set(delays)) > 1
    assert retry_delay_seconds(integration=integration, retry_count=20) == 3600


@pytest.mark.parametrize(
    ("backoff", "nominal"), [("nan", 30), ("inf", 30), ("soon", 30), (-10, 0), (None, 30)]
)
def test_backoff_of_an_odd_config_is_still_a_delay(backoff, nominal):
    integration = IntegrationFactory.build(config={"retry_backoff_seconds": backoff})

    delay = retry_delay_seconds(integration=integration, retry_count=1)
    assert 0.8 * nominal <= delay <= 1.2 * nominal


def test_backoff_of_a_late_retry_is_the_cap_not_an_overflow():
    integration = IntegrationFactory.build(config={"retry_backoff_seconds": 30})

    assert retry_delay_seconds(integration=integration, retry_count=5000) == 3600


# --- Claims and leases ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_process_a_webhook_once(registered):
    calls = []

    @registered(provider="erp")
    def slow(webhook):
        calls.append(threading.get_ident())
        time.sleep(0.2)

    webhook = make_webhook()
    barrier = threading.Barrier(6)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(webhook_process(webhook_id=webhook.id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert sorted(results, key=str) == [None] * 5 + ["completed"]


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_does_not_overwrite_the_outcome(registered):
    @registered(provider="erp")
    def outlived(webhook):
        # The lease ran out while this handler was busy, and the sweeper took the webhook back.
        Webhook.objects.filter(pk=webhook.pk).update(
            locked_until=timezone.now() - timedelta(seconds=1)
        )
        webhook_sweep()

    webhook = make_webhook()
    webhook_process(webhook_id=webhook.id)
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING
    assert webhook.retry_count == 1
    assert "lease expired" in (webhook.error_message or "")


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
