"""Processing: the atomic claim, its lease, and a claim lost while its worker was busy."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import IntegrationLog
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_process, webhook_sweep
from webhooks.tests.factories import make_webhook


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
