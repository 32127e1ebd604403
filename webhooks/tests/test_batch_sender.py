"""The batching sender of the receive's wake-up messages (``WEBHOOK_ENQUEUE_BATCH``) and the
batch task on the worker side: every stored webhook gets its message once, a failed send leaves
its rows to the sweeper, and a real worker processes what a burst stored."""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client

from core.testing.processes import wait_until
from core.testing.worker import celery_worker
from integrations.tests.factories import IntegrationFactory
from webhooks import tasks
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import enqueue
from webhooks.services.enqueue import webhook_enqueue_flush
from webhooks.tests.helpers import SECRET, post_signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def batching(settings, monkeypatch):
    """Batching on, with the messages recorded instead of sent: ``sent`` holds each message's
    list of ids."""
    settings.WEBHOOK_ENQUEUE_BATCH = 5
    sent: list[list[str]] = []
    lock = threading.Lock()

    def single(args, countdown=None):
        with lock:
            sent.append([args[0]])

    def batch(args):
        time.sleep(0.01)  # a slow broker: later ids pile up behind this message
        with lock:
            sent.append(list(args[0]))

    monkeypatch.setattr("webhooks.tasks.process_webhook.apply_async", single)
    monkeypatch.setattr("webhooks.tasks.process_webhooks.apply_async", batch)
    monkeypatch.setattr(enqueue, "_broker_paused_until", 0.0)
    yield sent
    assert webhook_enqueue_flush(timeout=10)


def test_every_received_webhook_is_sent_once_in_batches_of_at_most_the_limit(batching):
    integration = IntegrationFactory(provider="erp", webhook_secret=SECRET)
    client = Client()
    ids = []
    for number in range(40):
        response = post_signed(client, integration.code, {"id": f"evt_{number}"})
        assert response.status_code == 202
        ids.append(response.json()["id"])

    assert webhook_enqueue_flush(timeout=10)
    flat = [webhook_id for message in batching for webhook_id in message]
    assert sorted(flat) == sorted(ids)
    assert max(len(message) for message in batching) <= 5
    # Every row keeps its stamp: the sweeper does not send them again.
    assert Webhook.objects.filter(enqueued_at__isnull=True).count() == 0


def test_ids_submitted_together_share_a_message():
    sent: list[list[str]] = []
    sender = enqueue.BatchSender()
    original = enqueue._send_batch
    gate = threading.Event()

    def held(ids):
        gate.wait(5)
        sent.append(ids)

    enqueue._send_batch = held
    try:
        from django.test import override_settings

        with override_settings(WEBHOOK_ENQUEUE_BATCH=50):
            sender.submit("first")  # taken at once, held at the gate
            time.sleep(0.05)
            for number in range(10):
                sender.submit(f"id-{number}")
            gate.set()
            assert sender.flush(timeout=5)
    finally:
        enqueue._send_batch = original
    assert sent == [["first"], [f"id-{number}" for number in range(10)]]


def test_a_failed_batch_clears_the_stamps_for_the_sweeper(settings, monkeypatch):
    settings.WEBHOOK_ENQUEUE_BATCH = 5

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("webhooks.tasks.process_webhook.apply_async", down)
    monkeypatch.setattr("webhooks.tasks.process_webhooks.apply_async", down)
    monkeypatch.setattr(enqueue, "_broker_paused_until", 0.0)
    integration = IntegrationFactory(provider="erp", webhook_secret=SECRET)
    client = Client()
    for number in range(8):
        assert post_signed(client, integration.code, {"id": f"evt_{number}"}).status_code == 202

    assert webhook_enqueue_flush(timeout=10)
    assert Webhook.objects.filter(status=WebhookStatus.PENDING).count() == 8
    assert Webhook.objects.filter(enqueued_at__isnull=False).count() == 0


def test_a_batch_past_its_budget_sends_the_rest_on(monkeypatch):
    integration = IntegrationFactory(provider="erp")
    webhooks = [
        Webhook.objects.create(
            integration=integration, source="erp", event_type="x", payload={}, headers={}
        )
        for _ in range(3)
    ]
    resent: list[list[str]] = []
    monkeypatch.setattr(tasks, "batch_budget_seconds", lambda: 0.0)
    monkeypatch.setattr(
        "webhooks.tasks.process_webhooks.apply_async", lambda args: resent.append(args[0])
    )
    ids = [str(webhook.pk) for webhook in webhooks]

    assert tasks.process_webhooks(ids) == 1

    assert resent == [ids[1:]]
    statuses = dict(Webhook.objects.values_list("pk", "status"))
    assert statuses[webhooks[0].pk] == WebhookStatus.IGNORED  # no handler, no forward_url
    assert statuses[webhooks[1].pk] == statuses[webhooks[2].pk] == WebhookStatus.PENDING


@pytest.mark.worker
def test_a_burst_received_with_batching_is_processed_by_a_real_worker(
    settings, worker_broker_url, forward_server
):
    settings.WEBHOOK_ENQUEUE_BATCH = 10
    integration = IntegrationFactory(
        provider="erp", webhook_secret=SECRET, config={"forward_url": forward_server.url}
    )
    with celery_worker(broker_url=worker_broker_url) as worker:
        client = Client()
        for number in range(60):
            response = post_signed(client, integration.code, {"id": f"evt_{number}"})
            assert response.status_code == 202
        assert webhook_enqueue_flush(timeout=10)
        done = wait_until(
            lambda: Webhook.objects.filter(status=WebhookStatus.COMPLETED).count() == 60,
            timeout=60,
            interval=0.1,
        )
        assert done, worker.output()[-3000:]
    assert len({request.headers["X-Webhook-Id"] for request in forward_server.requests}) == 60
