"""Alerts: grouped per (channel, event, integration) and cooldown, sent through the channels,
retried when a channel is down, and recorded where each event's state change happens."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from integrations.alerts import alert_record, alerts_check_heartbeats, alerts_send_due
from integrations.models import (
    Alert,
    AlertStatus,
    BeatHeartbeat,
    IntegrationStatus,
    WorkerHeartbeat,
)
from integrations.services.connection import integration_test_connection
from integrations.tests.alert_helpers import send_all, smtp_channel, telegram_channel
from integrations.tests.channel_servers import smtp_server, status_server, telegram_server
from integrations.tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram():
    with telegram_server() as server:
        yield server


def test_a_burst_of_failures_is_one_message_with_the_count_and_a_link(telegram):
    channel = telegram_channel(telegram.url)
    acme = IntegrationFactory(code="acme", name="Acme ERP")
    with transaction.atomic():
        for number in range(200):
            alert_record(event="webhook.failed", integration=acme, detail=f"webhook {number}: 500")

    assert send_all().sent == 1
    alert = Alert.objects.get()
    assert (alert.channel_id, alert.event, alert.integration_id) == (
        channel.pk,
        "webhook.failed",
        acme.pk,
    )
    assert alert.count == 200 and alert.status == AlertStatus.SENT and alert.sent_at
    [text] = telegram.texts()
    assert text == alert.message
    assert "webhook.failed" in text and "Acme ERP (acme)" in text and "Count: 200" in text
    assert "200 webhooks reached failed" in text and "Latest: webhook 199: 500" in text
    assert (
        "Admin: https://hub.vendhub.example/admin/webhooks/webhook/"
        f"?status__exact=failed&integration__id__exact={acme.pk}" in text
    )
    assert telegram.messages[0]["chat_id"] == "-100123"


def test_within_the_cooldown_events_wait_for_the_next_window_which_carries_their_count(
    telegram,
):
    telegram_channel(telegram.url, alerts={"cooldown_minutes": 15})
    acme = IntegrationFactory(code="acme")
    alert_record(event="sync_job.failed", integration=acme, detail="first")
    assert send_all().sent == 1
    for _ in range(3):
        alert_record(event="sync_job.failed", integration=acme, detail="again")

    assert send_all().sent == 0  # still in the cooldown: nothing sent, nothing lost
    pending = Alert.objects.get(status=AlertStatus.PENDING)
    assert pending.count == 3
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        assert send_all().sent == 1
    assert len(telegram.texts()) == 2
    assert "Count: 3" in telegram.texts()[1]
    assert list(Alert.objects.values_list("count", flat=True).order_by("created_at")) == [1, 3]


def test_events_of_other_integrations_or_events_are_separate_alerts(telegram):
    telegram_channel(telegram.url)
    acme, beta = IntegrationFactory(code="acme"), IntegrationFactory(code="beta")
    alert_record(event="webhook.failed", integration=acme)
    alert_record(event="webhook.failed", integration=beta)
    alert_record(event="sync_job.failed", integration=acme)
    assert send_all().sent == 3
    assert Alert.objects.count() == 3


def test_config_alerts_chooses_events_and_integrations(telegram):
    telegram_channel(telegram.url, alerts={"events": ["sync_job.failed"], "integrations": ["acme"]})
    acme, beta = IntegrationFactory(code="acme"), IntegrationFactory(code="beta")
    assert alert_record(event="webhook.failed", integration=acme) == 0
    assert alert_record(event="sync_job.failed", integration=beta) == 0
    assert alert_record(event="sync_job.failed", integration=acme) == 1
    # Events about the hub itself pass an integration filter, not an event filter.
    assert alert_record(event="worker.down") == 0
    send_all()
    assert len(telegram.texts()) == 1


def test_an_inactive_channel_is_not_told_and_an_unknown_event_is_refused(telegram):
    channel = telegram_channel(telegram.url)
    channel.status = IntegrationStatus.INACTIVE
    channel.save()
    assert alert_record(event="webhook.failed", integration=IntegrationFactory()) == 0
    with pytest.raises(ValueError, match="unknown alert event"):
        alert_record(event="webhook.exploded")


def test_a_channel_that_is_down_is_retried_then_failed_and_another_channel_is_unaffected(
    telegram, settings
):
    settings.ALERT_RETRY_BASE_SECONDS = 60
    telegram.script(500, {"ok": False, "error_code": 500, "description": "Internal"}, times=10)
    tg = telegram_channel(telegram.url)
    acme = IntegrationFactory(code="acme")
    with smtp_server() as mail:
        smtp = smtp_channel(mail.url)
        alert_record(event="webhook.failed", integration=acme)
        first = alerts_send_due()
        assert (first.sent, first.retrying) == (1, 1)  # mail went; Telegram waits for a retry
        retry = Alert.objects.get(channel=tg)
        assert retry.status == AlertStatus.PENDING and "HTTP 500" in (retry.error_message or "")
        assert 55 <= (retry.due_at - timezone.now()).total_seconds() <= 61  # backoff
        assert alerts_send_due().retrying == 0
        with time_machine.travel(timezone.now() + timedelta(seconds=61)):
            assert alerts_send_due().retrying == 1  # the second try: 120 s later the third
        with time_machine.travel(timezone.now() + timedelta(seconds=182)):
            assert alerts_send_due().failed == 1
        assert len(mail.mails) == 1

    failed = Alert.objects.get(channel=tg)
    assert failed.status == AlertStatus.FAILED
    assert failed.error_message == (
        "Telegram sendMessage: HTTP 500: Internal (gave up after 3 attempts)"
    )
    assert failed.attempts == 3 and failed.sent_at is None and "Count: 1" in failed.message
    assert Alert.objects.get(channel=smtp).status == AlertStatus.SENT
    # Every try is an outbound log of the channel.
    assert tg.logs.filter(action="send_message", status_code=500).count() == 3


def test_telegram_retry_after_is_honoured(telegram, settings):
    settings.ALERT_RETRY_BASE_SECONDS = 1
    telegram.script(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    telegram_channel(telegram.url)
    alert_record(event="backlog", integration=IntegrationFactory(), count=4)
    before = timezone.now()
    assert alerts_send_due().retrying == 1
    alert = Alert.objects.get()
    assert timedelta(seconds=6) <= alert.due_at - before <= timedelta(seconds=9)
    assert alerts_send_due().sent == 0  # not before Telegram said
    with time_machine.travel(timezone.now() + timedelta(seconds=8)):
        assert alerts_send_due().sent == 1
    assert "4 webhooks pending for more than 5 minutes" in telegram.texts()[0]


def test_an_unreachable_channel_fails_with_a_reason(settings):
    settings.ALERT_SEND_ATTEMPTS = 2
    with telegram_server() as gone:
        url = gone.url
    channel = telegram_channel(url)
    alert_record(event="fiscal_receipt.failed", integration=IntegrationFactory())
    send_all()
    alert = Alert.objects.get(channel=channel)
    assert alert.status == AlertStatus.FAILED
    assert (alert.error_message or "").startswith("No answer from Telegram (ConnectionError")


def test_a_connection_test_failing_then_passing_alerts_failing_then_recovered(telegram):
    telegram_channel(telegram.url)
    with status_server(status=500) as upstream:
        erp = IntegrationFactory(code="erp", name="ERP", api_endpoint=upstream.url)
        assert integration_test_connection(integration=erp).success is False
        send_all()
        upstream.status = 200
        assert integration_test_connection(integration=erp).success is True
        send_all()
        # A second good test is no new recovery.
        assert integration_test_connection(integration=erp).success is True
        send_all()
    events = list(Alert.objects.order_by("created_at").values_list("event", "status"))
    assert events == [("integration.failing", "sent"), ("integration.recovered", "sent")]
    failing, recovered = telegram.texts()
    assert "the integration is failing" in failing and "HTTP 500" in failing
    assert "VendHub alert: integration.recovered" in recovered and "ERP (erp)" in recovered
    assert f"/admin/integrations/integration/{erp.pk}/change/" in recovered


def test_an_integration_with_no_connector_raises_no_alert(telegram):
    telegram_channel(telegram.url)
    nothing = IntegrationFactory(provider="carrier-pigeon", type="crm")
    assert integration_test_connection(integration=nothing).success is False
    assert not Alert.objects.exists()


def test_heartbeats_older_than_two_minutes_alert_once_per_outage(telegram):
    telegram_channel(telegram.url)
    now = timezone.now()
    WorkerHeartbeat.objects.create(hostname="w1", last_seen_at=now - timedelta(minutes=3))
    BeatHeartbeat.objects.create(name="beat", last_seen_at=now)
    assert alerts_check_heartbeats() == {"worker": True, "beat": False}
    assert alerts_check_heartbeats() == {"worker": True, "beat": False}  # same outage
    send_all()
    alert = Alert.objects.get()
    assert (alert.event, alert.count, alert.integration_id) == ("worker.down", 1, None)
    assert "the hub itself" in alert.message
    # The worker comes back, then goes away again: a new outage.
    WorkerHeartbeat.objects.update(last_seen_at=timezone.now())
    assert alerts_check_heartbeats()["worker"] is False
    BeatHeartbeat.objects.update(last_seen_at=now - timedelta(minutes=5))
    WorkerHeartbeat.objects.update(last_seen_at=now - timedelta(minutes=5))
    with time_machine.travel(now + timedelta(minutes=16)):
        assert alerts_check_heartbeats() == {"worker": True, "beat": True}
        send_all()
    assert sorted(Alert.objects.values_list("event", flat=True)) == [
        "beat.down",
        "worker.down",
        "worker.down",
    ]


def test_a_fresh_hub_that_never_saw_a_heartbeat_is_not_down(telegram):
    telegram_channel(telegram.url)
    assert alerts_check_heartbeats() == {"worker": False, "beat": False}
    assert not Alert.objects.exists()


def test_a_burst_is_gathered_until_a_quiet_spell_and_at_most_the_max_wait(telegram, settings):
    settings.ALERT_QUIET_SECONDS = 10
    settings.ALERT_MAX_WAIT_SECONDS = 40
    telegram_channel(telegram.url)
    acme = IntegrationFactory(code="acme")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alert_record(event="webhook.failed", integration=acme)
        assert Alert.objects.get().due_at == start + timedelta(seconds=10)
        for second in (5, 12, 19, 26, 33):  # events keep coming: the message waits...
            clock.move_to(start + timedelta(seconds=second))
            alert_record(event="webhook.failed", integration=acme)
            assert alerts_send_due().sent == 0
        # ...but no longer than 40 s after the first event.
        assert Alert.objects.get().due_at == start + timedelta(seconds=40)
        clock.move_to(start + timedelta(seconds=40))
        assert alerts_send_due().sent == 1
    assert "Count: 6" in telegram.texts()[0]


def test_beat_watching_the_worker_sends_the_alerts_itself_while_the_worker_is_down(telegram):
    from integrations.alerts.services import alerts_watch

    telegram_channel(telegram.url)
    WorkerHeartbeat.objects.create(
        hostname="w1", last_seen_at=timezone.now() - timedelta(minutes=10)
    )
    alert_record(event="sync_job.failed", integration=IntegrationFactory(code="erp"))
    alerts_watch(watch="worker")  # what beat's heartbeat thread does every 30 s
    assert sorted(Alert.objects.values_list("event", "status")) == [
        ("sync_job.failed", "sent"),
        ("worker.down", "sent"),
    ]
    assert any("no Celery worker heartbeat" in text for text in telegram.texts())
