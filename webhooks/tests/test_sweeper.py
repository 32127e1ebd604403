"""The beat sweeper: sends what a down broker lost, reclaims what a dead worker held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.testing.queues import queued_task_bodies
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_sweep
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(worker_broker_url):
    """The webhook ids waiting in the broker's queue ``celery`` (Redis or RabbitMQ)."""

    def ids() -> list[str]:
        return [body[0][0] for body in queued_task_bodies(worker_broker_url)]

    return ids


def age(webhook: Webhook, seconds: float, **fields) -> None:
    Webhook.objects.filter(pk=webhook.pk).update(
        updated_at=timezone.now() - timedelta(seconds=seconds), **fields
    )


def test_pending_webhook_never_enqueued_is_sent(queue):
    webhook = WebhookFactory()
    age(webhook, 10)
    report = webhook_sweep()
    assert report.enqueued == 1
    assert queue() == [str(webhook.id)]
    webhook.refresh_from_db()
    assert webhook.enqueued_at is not None


def test_a_webhook_just_stored_is_left_to_its_request(queue):
    WebhookFactory()
    assert webhook_sweep().enqueued == 0
    assert queue() == []


def test_recently_enqueued_is_not_sent_again_but_a_long_lost_one_is(queue):
    fresh = WebhookFactory()  # sent 30 s ago: its message is presumably still queued
    age(fresh, 60, enqueued_at=timezone.now() - timedelta(seconds=30))
    lost = WebhookFactory()  # sent over a minute ago (a Redis restart lost it)
    age(lost, 900, enqueued_at=timezone.now() - timedelta(seconds=90))
    assert webhook_sweep().enqueued == 1
    assert queue() == [str(lost.id)]


def test_retry_not_yet_due_waits_and_a_due_one_is_sent(queue):
    later = WebhookFactory(next_retry_at=timezone.now() + timedelta(minutes=5), retry_count=1)
    due = WebhookFactory(next_retry_at=timezone.now() - timedelta(seconds=1), retry_count=1)
    assert webhook_sweep().enqueued == 1
    assert queue() == [str(due.id)]
    later.refresh_from_db()
    assert (later.status, later.enqueued_at) == (WebhookStatus.PENDING, None)


@pytest.mark.parametrize(
    "status", [WebhookStatus.COMPLETED, WebhookStatus.FAILED, WebhookStatus.IGNORED]
)
def test_finished_webhooks_are_left_alone(queue, status):
    webhook = WebhookFactory(status=status)
    age(webhook, 900)
    assert webhook_sweep().enqueued == 0


def test_rejected_webhooks_are_never_sent(queue):
    webhook = WebhookFactory(status=WebhookStatus.PENDING, rejected=True)
    age(webhook, 900)
    assert webhook_sweep().enqueued == 0


def test_expired_lease_is_reclaimed_counted_as_an_attempt_and_sent(queue):
    webhook = WebhookFactory(
        status=WebhookStatus.PROCESSING, locked_until=timezone.now() - timedelta(seconds=1)
    )
    held = WebhookFactory(
        status=WebhookStatus.PROCESSING, locked_until=timezone.now() + timedelta(minutes=5)
    )
    report = webhook_sweep()
    assert (report.reclaimed, report.enqueued) == (1, 1)
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING
    assert webhook.retry_count == 1
    assert webhook.locked_until is None
    assert "lease expired" in (webhook.error_message or "")
    assert queue() == [str(webhook.id)]
    held.refresh_from_db()
    assert held.status == WebhookStatus.PROCESSING


def test_expired_lease_with_no_retries_left_fails(queue):
    webhook = WebhookFactory(
        status=WebhookStatus.PROCESSING,
        locked_until=timezone.now() - timedelta(seconds=1),
        retry_count=3,
        max_retries=3,
        # Three earlier tries (their rows are not needed here): the lost one is the fourth.
        attempt_count=3,
    )
    assert webhook_sweep().failed == 1
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.FAILED
    assert "gave up after 4 attempts" in (webhook.error_message or "")
    assert webhook.attempt_count == 4
    lost = webhook.attempts.get()
    assert (lost.number, lost.outcome, lost.duration_ms) == (4, "failure", None)
    assert "lease expired" in (lost.error or "")


def test_migrate_installs_the_sweeper_in_beat():
    task = PeriodicTask.objects.get(task="webhooks.sweep")
    assert task.enabled
    assert task.interval.every <= 60


def _messages(worker_broker_url) -> list[list[str]]:
    """The ids of each message in the broker's queue ``celery`` (one id or a batch)."""
    found = []
    for body in queued_task_bodies(worker_broker_url):
        first = body[0][0]
        found.append(first if isinstance(first, list) else [first])
    return found


def test_a_backlog_is_stamped_at_once_and_sent_many_ids_to_a_message(worker_broker_url, settings):
    settings.WEBHOOK_ENQUEUE_BATCH = 3
    webhooks = WebhookFactory.create_batch(7)
    for webhook in webhooks:
        age(webhook, 10)

    assert webhook_sweep().enqueued == 7

    messages = _messages(worker_broker_url)
    assert sorted(len(ids) for ids in messages) == [1, 3, 3]
    sent = sorted(webhook_id for ids in messages for webhook_id in ids)
    assert sent == sorted(str(webhook.pk) for webhook in webhooks)
    assert not Webhook.objects.filter(enqueued_at__isnull=True).exists()


def test_a_backlog_the_broker_refuses_halfway_is_left_unstamped_for_the_next_sweep(
    worker_broker_url, settings, monkeypatch
):
    from webhooks.tasks import process_webhooks

    settings.WEBHOOK_ENQUEUE_BATCH = 3
    for webhook in WebhookFactory.create_batch(7):
        age(webhook, 10)
    sent: list[object] = []
    real = process_webhooks.apply_async

    def second_fails(*args, **kwargs):
        if sent:
            raise ConnectionError("broker went away")
        sent.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(process_webhooks, "apply_async", second_fails)

    assert webhook_sweep().enqueued == 3

    assert [len(ids) for ids in _messages(worker_broker_url)] == [3]
    assert Webhook.objects.filter(enqueued_at__isnull=True).count() == 4
