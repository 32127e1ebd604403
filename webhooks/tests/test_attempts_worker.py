"""Attempts and replay with a real Celery worker process, Redis and PostgreSQL: a delivery that
fails once and then completes leaves two attempts; a replay through the API is picked up by the
worker (the message sent after the commit) and adds a third, forwarded again."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.testing.processes import wait_until
from core.testing.worker import celery_worker
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookAttempt, WebhookStatus
from webhooks.tests.helpers import SECRET, post_signed

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def status_of(webhook_id: str) -> str:
    return Webhook.objects.values_list("status", flat=True).get(pk=webhook_id)


def test_attempts_and_a_replay_with_a_real_worker(
    worker_broker_url, forward_server, api_client: APIClient
):
    integration = IntegrationFactory(
        provider="erp",
        webhook_secret=SECRET,
        # A short backoff so that the retry comes within the test.
        config={"forward_url": forward_server.url, "retry_backoff_seconds": 0.2},
    )
    forward_server.status = 503
    with celery_worker(broker_url=worker_broker_url) as worker:
        response = post_signed(Client(), integration.code, {"id": "evt_story", "type": "x.y"})
        assert response.status_code == 202
        webhook_id = response.json()["id"]
        assert forward_server.wait_for(1, timeout=30), worker.output()[-3000:]
        forward_server.status = 200
        done = wait_until(lambda: status_of(webhook_id) == "completed", timeout=30)
        assert done, worker.output()[-3000:]

        attempts = api_client.get(f"/api/webhooks/{webhook_id}/attempts").json()["results"]
        assert [(a["number"], a["outcome"], a["status_code"]) for a in attempts] == [
            (1, "failure", 503),
            (2, "success", 200),
        ]

        replay = api_client.post(f"/api/webhooks/{webhook_id}/replay")
        assert replay.status_code == 202
        assert forward_server.wait_for(3, timeout=30), worker.output()[-3000:]
        done = wait_until(
            lambda: WebhookAttempt.objects.filter(webhook_id=webhook_id).count() == 3,
            timeout=30,
        )
        assert done, worker.output()[-3000:]
    assert status_of(webhook_id) == WebhookStatus.COMPLETED
    webhook = Webhook.objects.get(pk=webhook_id)
    assert webhook.attempt_count == 3
    assert [request.headers["X-Webhook-Id"] for request in forward_server.requests] == [
        webhook_id
    ] * 3
    numbers = WebhookAttempt.objects.filter(webhook_id=webhook_id).order_by("number")
    assert list(numbers.values_list("outcome", flat=True)) == ["failure", "success", "success"]
