"""Alerts with a real Celery worker (and beat): recorded in a committed transaction, sent by
the worker within seconds; a channel that is down does not hold up another; a wake-up message
that was lost is made good by beat's sweep."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.beat import ensure_interval_task
from core.testing.processes import wait_until
from core.testing.queues import empty_broker
from core.testing.worker import celery_beat, celery_worker
from integrations.alerts import alert_record
from integrations.models import Alert, AlertStatus
from integrations.tests.alert_helpers import smtp_channel, telegram_channel
from integrations.tests.channel_servers import smtp_server, telegram_server
from integrations.tests.factories import IntegrationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "ALERT_QUIET_SECONDS": "0",
    "ALERT_MAX_WAIT_SECONDS": "0",
    "ALERT_RETRY_BASE_SECONDS": "0",
    "ALERT_SEND_ATTEMPTS": "2",
}


def statuses() -> dict[str, str]:
    return dict(Alert.objects.values_list("channel__code", "status"))


def test_the_worker_sends_after_the_commit_and_a_down_channel_holds_up_no_other(
    worker_broker_url,
):
    acme = IntegrationFactory(code="acme", name="Acme ERP")
    with telegram_server() as telegram, smtp_server() as mail:
        telegram.script(500, {"ok": False, "error_code": 500, "description": "down"}, times=50)
        telegram_channel(telegram.url)
        smtp_channel(mail.url)
        with celery_worker(broker_url=worker_broker_url, extra_env=WORKER_ENV) as worker:
            with transaction.atomic():
                for _ in range(5):
                    alert_record(event="webhook.failed", integration=acme, detail="HTTP 502")
            done = wait_until(
                lambda: statuses() == {"ops-telegram": "failed", "ops-mail": "sent"}, timeout=30
            )
            assert done, (statuses(), worker.output()[-3000:])
            assert "Traceback" not in worker.output()
    assert len(mail.mails) == 1 and "Count: 5" in mail.texts()[0]
    failed = Alert.objects.get(channel__code="ops-telegram")
    assert failed.error_message == "Telegram sendMessage: HTTP 500: down (gave up after 2 attempts)"


def test_a_lost_wake_up_is_made_good_by_the_beat_sweep(worker_broker_url):
    acme = IntegrationFactory(code="acme")
    with telegram_server() as telegram:
        telegram_channel(telegram.url)
        alert_record(event="sync_job.failed", integration=acme, detail="HTTP 503")
        # The wake-up message is lost (a broker restart without persistence).
        empty_broker(worker_broker_url)
        assert Alert.objects.get().status == AlertStatus.PENDING
        ensure_interval_task(
            name="integrations: send alerts", task="integrations.alerts_sweep", every_seconds=2
        )
        with (
            celery_worker(broker_url=worker_broker_url, extra_env=WORKER_ENV) as worker,
            celery_beat(broker_url=worker_broker_url, extra_env=WORKER_ENV) as beat,
        ):
            sent = wait_until(lambda: len(telegram.texts()) == 1, timeout=45)
            assert sent, worker.output()[-2000:] + beat.output()[-2000:]
            # The server answered before the worker committed "sent": wait for the commit.
            assert wait_until(lambda: Alert.objects.get().status == AlertStatus.SENT, timeout=10)
    assert "sync_job.failed" in telegram.texts()[0] and "HTTP 503" in telegram.texts()[0]


def test_beat_alone_tells_that_the_worker_is_down(worker_broker_url):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(
        hostname="gone@host", last_seen_at=timezone.now() - timedelta(minutes=3)
    )
    with telegram_server() as telegram:
        telegram_channel(telegram.url)
        # No worker runs: beat's own heartbeat thread notices and sends the alert itself.
        with celery_beat(broker_url=worker_broker_url, extra_env=WORKER_ENV) as beat:
            told = wait_until(lambda: len(telegram.texts()) == 1, timeout=30)
            assert told, beat.output()[-3000:]
            # The server answered before beat committed "sent": wait for the commit, not longer.
            recorded = wait_until(
                lambda: Alert.objects.get().status == AlertStatus.SENT, timeout=10
            )
            assert recorded, beat.output()[-3000:]
    assert "VendHub alert: worker.down" in telegram.texts()[0]
