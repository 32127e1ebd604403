"""The webhook pipeline raises its alerts where the state changes: ``webhook.failed`` when a
webhook reaches failed (by its worker or by the sweeper), ``backlog`` for webhooks left pending
for more than five minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.alerts import alerts_send_due
from integrations.models import Alert, AlertStatus
from integrations.tests.alert_helpers import telegram_channel
from integrations.tests.channel_servers import telegram_server
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_process, webhook_sweep
from webhooks.services.backlog import webhook_backlog_check
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram(settings):
    settings.ALERT_QUIET_SECONDS = 0
    settings.ALERT_MAX_WAIT_SECONDS = 0
    with telegram_server() as server:
        telegram_channel(server.url)
        yield server


def test_webhooks_reaching_failed_are_one_alert_with_their_count(telegram, forward_server):
    forward_server.status = 500
    acme = IntegrationFactory(
        code="acme", config={"forward_url": forward_server.url, "retry_attempts": 0}
    )
    webhooks = [WebhookFactory(integration=acme, max_retries=0) for _ in range(3)]
    for webhook in webhooks:
        assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED
    alert = Alert.objects.get()
    assert (alert.event, alert.count, alert.integration_id) == ("webhook.failed", 3, acme.pk)
    assert (
        f"webhook {webhooks[-1].pk}" in alert.detail and "gave up after 1 attempt)" in alert.detail
    )
    assert alerts_send_due().sent == 1
    assert "3 webhooks reached failed" in telegram.texts()[0]


def test_a_webhook_that_is_retried_raises_no_alert_until_it_fails(telegram, forward_server):
    forward_server.status = 500
    acme = IntegrationFactory(config={"forward_url": forward_server.url, "retry_attempts": 2})
    webhook = WebhookFactory(integration=acme, max_retries=2)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.PENDING
    assert not Alert.objects.exists()


def test_the_sweeper_failing_a_webhook_of_a_dead_worker_alerts(telegram):
    acme = IntegrationFactory(code="acme")
    WebhookFactory(
        integration=acme,
        status=WebhookStatus.PROCESSING,
        locked_until=timezone.now() - timedelta(seconds=1),
        retry_count=3,
        max_retries=3,
    )
    assert webhook_sweep().failed == 1
    alert = Alert.objects.get()
    assert (alert.event, alert.integration_id, alert.count) == ("webhook.failed", acme.pk, 1)
    assert "lease expired" in alert.detail


def test_a_backlog_older_than_five_minutes_alerts_once_with_how_many_wait(telegram):
    acme = IntegrationFactory(code="acme")
    old = [WebhookFactory(integration=acme) for _ in range(4)]
    WebhookFactory(integration=acme)  # just received: no backlog
    Webhook.objects.filter(pk__in=[w.pk for w in old]).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    assert webhook_backlog_check() == {"acme": 4}
    assert webhook_backlog_check() == {"acme": 4}  # the same backlog: no second alert
    alert = Alert.objects.get()
    assert (alert.event, alert.count) == ("backlog", 4)
    alerts_send_due()
    assert "4 webhooks pending for more than 5 minutes" in telegram.texts()[0]
    assert "status__exact=pending" in telegram.texts()[0]
    # Cleared, then back: a new backlog.
    Webhook.objects.filter(integration=acme).update(status=WebhookStatus.COMPLETED)
    assert webhook_backlog_check() == {}
    Webhook.objects.filter(pk=old[0].pk).update(status=WebhookStatus.PENDING)
    assert webhook_backlog_check() == {"acme": 1}
    assert Alert.objects.filter(status=AlertStatus.PENDING, count=1, event="backlog").exists()


def test_a_webhook_waiting_for_its_retry_is_no_backlog(telegram):
    webhook = WebhookFactory(next_retry_at=timezone.now() + timedelta(minutes=10))
    Webhook.objects.filter(pk=webhook.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert webhook_backlog_check() == {}


def test_with_the_worker_down_beat_itself_tells_of_the_backlog(telegram):
    """The backlog check is a task the worker runs; a stopped worker (the usual cause of a
    backlog) would leave it unsaid. Beat's watching thread looks for it while the worker is down."""
    from integrations.alerts.services import alerts_watch
    from integrations.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(
        hostname="w1", last_seen_at=timezone.now() - timedelta(minutes=10)
    )
    acme = IntegrationFactory(code="acme")
    waiting = WebhookFactory(integration=acme)
    Webhook.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    alerts_watch(watch="worker")  # what beat's heartbeat thread does every 30 s
    assert sorted(Alert.objects.values_list("event", "status")) == [
        ("backlog", "sent"),
        ("worker.down", "sent"),
    ]
    assert any("1 webhook pending for more than 5 minutes" in t for t in telegram.texts())
    alerts_watch(watch="worker")  # the same backlog: no second alert
    assert Alert.objects.filter(event="backlog").count() == 1
