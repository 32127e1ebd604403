"""Every delivery's story: an attempt row per processing try (success, failure, a worker lost
mid-try), kept by a manual retry and deleted with its webhook. What reads them is in
``test_attempts_read``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import IntegrationLog
from integrations.tests.factories import IntegrationFactory
from webhooks.handlers import unregister_webhook_handler, webhook_handler
from webhooks.models import Webhook, WebhookAttempt, WebhookStatus
from webhooks.services import webhook_process, webhook_purge, webhook_retry, webhook_sweep
from webhooks.tests.attempt_helpers import attempts_of, closed_port_url, forwarded_webhook, make_due
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


# --- The rows the processing writes -----------------------------------------------------------


def test_a_successful_try_is_one_attempt_with_the_forward_log(forward_server):
    webhook = forwarded_webhook(forward_server.url)
    before = timezone.now()
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.COMPLETED

    [attempt] = attempts_of(webhook)
    assert attempt.number == 1
    assert attempt.outcome == "success"
    assert attempt.status_code == 200
    assert attempt.error is None
    assert attempt.duration_ms is not None and attempt.duration_ms >= 0
    assert before <= attempt.started_at <= timezone.now()
    assert attempt.integration_log_id is not None
    log = IntegrationLog.objects.get(pk=attempt.integration_log_id)
    assert log.action == "webhook_forward" and log.status_code == 200
    webhook.refresh_from_db()
    assert webhook.attempt_count == 1


def test_failure_then_success_are_two_attempts_in_order(forward_server):
    webhook = forwarded_webhook(forward_server.url)
    forward_server.status = 503
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.PENDING
    make_due(webhook)
    forward_server.status = 200
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.COMPLETED

    first, second = attempts_of(webhook)
    assert (first.number, first.outcome, first.status_code) == (1, "failure", 503)
    assert "HTTP 503" in (first.error or "")
    assert (second.number, second.outcome, second.status_code, second.error) == (
        2,
        "success",
        200,
        None,
    )
    assert first.started_at <= second.started_at
    assert first.integration_log_id != second.integration_log_id
    webhook.refresh_from_db()
    assert webhook.attempt_count == 2


def test_giving_up_counts_the_attempt_rows(forward_server):
    forward_server.status = 500
    webhook = forwarded_webhook(forward_server.url, retry_attempts=2)
    for _ in range(2):
        assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.PENDING
        make_due(webhook)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED

    assert [attempt.outcome for attempt in attempts_of(webhook)] == ["failure"] * 3
    webhook.refresh_from_db()
    assert webhook.attempt_count == 3
    assert (webhook.error_message or "").endswith("(gave up after 3 attempts)")


def test_a_handler_that_raises_is_a_failed_attempt_without_a_status_code():
    def explode(webhook: Webhook) -> None:
        raise RuntimeError("the ledger is closed")

    webhook_handler(provider="erp", event_type="ledger.*")(explode)
    try:
        webhook = WebhookFactory(
            integration=IntegrationFactory(provider="erp", config={"retry_attempts": 0}),
            event_type="ledger.closed",
            max_retries=0,
        )
        assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED
    finally:
        unregister_webhook_handler(explode)
    [attempt] = attempts_of(webhook)
    assert attempt.outcome == "failure"
    assert attempt.status_code is None and attempt.integration_log_id is None
    assert attempt.error == "RuntimeError: the ledger is closed"


def test_a_forward_nobody_answers_has_no_status_code_but_its_log():
    webhook = forwarded_webhook(closed_port_url())
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.PENDING
    [attempt] = attempts_of(webhook)
    assert attempt.outcome == "failure" and attempt.status_code is None
    assert attempt.integration_log_id is not None
    assert IntegrationLog.objects.filter(pk=attempt.integration_log_id).exists()


def test_an_ignored_webhook_is_one_successful_attempt_with_the_reason_on_the_webhook():
    webhook = WebhookFactory(integration=IntegrationFactory(provider="erp", config={}))
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.IGNORED
    [attempt] = attempts_of(webhook)
    assert attempt.outcome == "success" and attempt.error is None
    webhook.refresh_from_db()
    assert "no handler" in (webhook.error_message or "")


def test_a_try_costs_no_statement_beyond_its_claim_and_its_end():
    """The hot path: the attempt row rides in the statement that ends the try."""

    def handled(webhook: Webhook) -> None:
        pass

    webhook_handler(provider="erp", event_type="quick.*")(handled)
    try:
        webhook = WebhookFactory(
            integration=IntegrationFactory(provider="erp", config={}), event_type="quick.one"
        )
        webhook_process(webhook_id=WebhookFactory(event_type="warm.up").pk)  # lease known
        with CaptureQueriesContext(connection) as queries:
            assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.COMPLETED
    finally:
        unregister_webhook_handler(handled)
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 2, statements
    assert "INSERT INTO" in statements[1] and "webhook_attempts" in statements[1]
    assert len(attempts_of(webhook)) == 1


def test_a_worker_lost_mid_try_is_one_failed_attempt_and_its_late_end_adds_none(forward_server):
    """The sweeper takes back a webhook whose lease ran out and records that try; the worker,
    still running after all, must not record a second row for the same try."""
    webhook = forwarded_webhook(forward_server.url)

    def lose_the_claim(webhook_in_hand: Webhook) -> None:
        Webhook.objects.filter(pk=webhook_in_hand.pk).update(
            locked_until=timezone.now() - timedelta(seconds=1)
        )
        assert webhook_sweep().reclaimed == 1

    webhook_handler(provider="erp", event_type="slow.*")(lose_the_claim)
    try:
        Webhook.objects.filter(pk=webhook.pk).update(event_type="slow.one")
        webhook_process(webhook_id=webhook.pk)
    finally:
        unregister_webhook_handler(lose_the_claim)

    [lost] = attempts_of(webhook)
    assert (lost.number, lost.outcome, lost.duration_ms) == (1, "failure", None)
    assert "lease expired" in (lost.error or "")
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING and webhook.attempt_count == 1
    # The late worker's forward is still on record as a log, unlinked to any attempt.
    assert IntegrationLog.objects.filter(action="webhook_forward").count() == 1

    # The next try is number 2.
    make_due(webhook)
    Webhook.objects.filter(pk=webhook.pk).update(event_type="order.created")
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.COMPLETED
    assert [attempt.number for attempt in attempts_of(webhook)] == [1, 2]


def test_a_manual_retry_keeps_the_earlier_attempts(forward_server):
    forward_server.status = 500
    webhook = forwarded_webhook(forward_server.url, retry_attempts=0)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED
    webhook_retry(webhook=webhook)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED
    assert [attempt.number for attempt in attempts_of(webhook)] == [1, 2]
    webhook.refresh_from_db()
    assert (webhook.error_message or "").endswith("(gave up after 2 attempts)")


def test_attempts_go_with_their_webhook(api_client, forward_server):
    webhook = forwarded_webhook(forward_server.url)
    webhook_process(webhook_id=webhook.pk)
    assert api_client.delete(f"/api/webhooks/{webhook.pk}").status_code == 204
    assert not WebhookAttempt.objects.filter(webhook_id=webhook.pk).exists()


def test_retention_deletes_the_attempts_with_their_webhook_and_keeps_the_others(forward_server):
    old = forwarded_webhook(forward_server.url)
    kept = forwarded_webhook(forward_server.url)
    for webhook in (old, kept):
        assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.COMPLETED
    long_ago = timezone.now() - timedelta(days=400)
    Webhook.objects.filter(pk=old.pk).update(created_at=long_ago, updated_at=long_ago)

    assert webhook_purge(older_than_days=90).deleted >= 1
    assert not Webhook.objects.filter(pk=old.pk).exists()
    assert not WebhookAttempt.objects.filter(webhook_id=old.pk).exists()
    assert len(attempts_of(kept)) == 1
