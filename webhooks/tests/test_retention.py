"""Retention: old logs and finished webhooks go, in batches; work still owed never does."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from integrations.models import IntegrationLog
from integrations.services import integration_log_purge
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_purge
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


def _aged(model, rows, *, days: int) -> None:
    """Backdate rows (auto_now fields cannot be set through the ORM's create)."""
    moment = timezone.now() - timedelta(days=days)
    model.objects.filter(pk__in=[row.pk for row in rows]).update(
        created_at=moment, updated_at=moment
    )


@pytest.fixture
def webhooks_by_status():
    integration = IntegrationFactory()
    rows = {
        status: WebhookFactory(integration=integration, status=status)
        for status in WebhookStatus.values
    }
    _aged(Webhook, rows.values(), days=400)
    return rows


def test_old_pending_processing_and_failed_webhooks_are_never_deleted(webhooks_by_status):
    report = webhook_purge()

    left = set(Webhook.objects.values_list("status", flat=True))
    assert left == {"pending", "processing", "failed"}
    assert report.deleted == 2  # the completed and the ignored one


def test_finished_webhooks_inside_the_window_are_kept(settings):
    settings.RETENTION_WEBHOOK_DAYS = 90
    integration = IntegrationFactory()
    old = WebhookFactory(integration=integration, status=WebhookStatus.COMPLETED)
    recent = WebhookFactory(integration=integration, status=WebhookStatus.COMPLETED)
    ignored_recent = WebhookFactory(integration=integration, status=WebhookStatus.IGNORED)
    _aged(Webhook, [old], days=91)
    _aged(Webhook, [recent, ignored_recent], days=89)

    assert webhook_purge().deleted == 1

    assert set(Webhook.objects.values_list("pk", flat=True)) == {recent.pk, ignored_recent.pk}


def test_an_old_webhook_changed_recently_is_kept():
    """Received long ago but completed yesterday (a retry): still inside the window."""
    webhook = WebhookFactory(status=WebhookStatus.COMPLETED)
    old = timezone.now() - timedelta(days=200)
    Webhook.objects.filter(pk=webhook.pk).update(created_at=old)

    assert webhook_purge().deleted == 0


def test_logs_past_the_window_are_deleted_and_recent_ones_kept(settings):
    settings.RETENTION_LOG_DAYS = 30
    integration = IntegrationFactory()
    old = [IntegrationLogFactory(integration=integration) for _ in range(3)]
    recent = IntegrationLogFactory(integration=integration)
    _aged(IntegrationLog, old, days=31)
    _aged(IntegrationLog, [recent], days=29)

    assert integration_log_purge().deleted == 3

    assert list(IntegrationLog.objects.values_list("pk", flat=True)) == [recent.pk]


def test_deletes_run_in_batches_of_short_transactions():
    integration = IntegrationFactory()
    logs = [IntegrationLogFactory(integration=integration) for _ in range(25)]
    _aged(IntegrationLog, logs, days=60)

    with CaptureQueriesContext(connection) as queries:
        report = integration_log_purge(batch_size=10)

    assert (report.deleted, report.batches) == (25, 3)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3
    assert IntegrationLog.objects.count() == 0


def test_a_webhook_retried_between_the_read_and_the_delete_is_kept(monkeypatch):
    """The delete re-checks the status: a row sent back to pending in between survives."""
    from integrations import retention

    webhook = WebhookFactory(status=WebhookStatus.COMPLETED)
    _aged(Webhook, [webhook], days=400)
    real_list = list

    def list_then_retry(values):
        ids = real_list(values)
        Webhook.objects.filter(pk=webhook.pk).update(status=WebhookStatus.PENDING)
        return ids

    monkeypatch.setattr(retention, "list", list_then_retry, raising=False)
    report = webhook_purge()

    assert report.deleted == 0
    assert Webhook.objects.filter(pk=webhook.pk, status="pending").exists()


def test_command_dry_run_counts_and_deletes_nothing(webhooks_by_status):
    log = IntegrationLogFactory()
    _aged(IntegrationLog, [log], days=45)
    out = StringIO()

    call_command("apply_retention", "--dry-run", stdout=out)

    assert "integration logs: would delete 1" in out.getvalue()
    assert "webhooks (completed, ignored): would delete 2" in out.getvalue()
    assert Webhook.objects.count() == len(WebhookStatus.values)
    assert IntegrationLog.objects.count() == 1


def test_command_deletes_with_its_own_windows(webhooks_by_status):
    out = StringIO()

    call_command("apply_retention", "--webhook-days", "500", "--log-days", "1", stdout=out)

    assert "webhooks (completed, ignored): deleted 0" in out.getvalue()
    assert Webhook.objects.count() == len(WebhookStatus.values)
    call_command("apply_retention", stdout=out)
    assert Webhook.objects.count() == 3


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "must be 1 or more"), ("-3", "must be 1 or more"), ("ten", "is not a whole number")],
)
def test_command_refuses_a_bad_window_and_deletes_nothing(webhooks_by_status, value, message):
    with pytest.raises(CommandError, match=message):
        call_command("apply_retention", "--webhook-days", value)
    assert Webhook.objects.count() == len(WebhookStatus.values)


def test_command_help_names_the_settings():
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("apply_retention", "--help", stdout=out)


def test_migrate_installs_the_daily_schedules():
    tasks = dict(
        PeriodicTask.objects.filter(
            task__in=["webhooks.purge", "integrations.purge_logs"]
        ).values_list("task", "interval__every")
    )
    assert tasks == {"webhooks.purge": 86400, "integrations.purge_logs": 86400}


def test_the_beat_tasks_apply_retention():
    from integrations.tasks import purge_integration_logs
    from webhooks.tasks import purge_webhooks

    webhook = WebhookFactory(status=WebhookStatus.IGNORED)
    log = IntegrationLogFactory()
    _aged(Webhook, [webhook], days=100)
    _aged(IntegrationLog, [log], days=100)

    assert purge_webhooks()["deleted"] == 1
    assert purge_integration_logs()["deleted"] == 1
