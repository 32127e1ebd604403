"""Processing: failures, retries with backoff, and giving up."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import retry_delay_seconds, webhook_process
from webhooks.tests.factories import make_webhook


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
