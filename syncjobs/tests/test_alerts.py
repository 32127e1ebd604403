"""Sync jobs raise ``sync_job.failed`` when a job fails, and ``integration.failing`` when a run
of failed scheduled syncs turns the integration to ``error``; an operator setting it active
again is ``integration.recovered``."""

from __future__ import annotations

import pytest

from integrations.alerts import alerts_send_due
from integrations.models import Alert, IntegrationStatus
from integrations.tests.alert_helpers import telegram_channel
from integrations.tests.channel_servers import telegram_server
from integrations.tests.factories import IntegrationFactory
from syncjobs.services import sync_job_fail
from syncjobs.tests.factories import SyncJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram(settings):
    settings.ALERT_QUIET_SECONDS = 0
    settings.ALERT_MAX_WAIT_SECONDS = 0
    with telegram_server() as server:
        telegram_channel(server.url)
        yield server


def test_a_failed_job_alerts_with_its_reason(telegram):
    erp = IntegrationFactory(code="erp", name="1C ERP")
    job = SyncJobFactory(integration=erp, status="running")
    assert sync_job_fail(job=job, error_message="Catalog_Items: HTTP 503 after 4 attempts")
    assert not sync_job_fail(job=job, error_message="again")  # already failed: no second event
    alert = Alert.objects.get()
    assert (alert.event, alert.count, alert.integration_id) == ("sync_job.failed", 1, erp.pk)
    alerts_send_due()
    [text] = telegram.texts()
    assert "1C ERP (erp)" in text and "HTTP 503 after 4 attempts" in text
    assert f"/admin/syncjobs/syncjob/?status__exact=failed&integration__id__exact={erp.pk}" in text


def test_scheduled_failures_turning_the_integration_to_error_alert_failing(telegram, api_client):
    erp = IntegrationFactory(code="erp", config={"max_consecutive_failures": 2})
    for _ in range(2):
        job = SyncJobFactory(integration=erp, status="running", job_type="scheduled_sync")
        sync_job_fail(job=job, error_message="HTTP 500")
    erp.refresh_from_db()
    assert erp.status == IntegrationStatus.ERROR
    failing = Alert.objects.get(event="integration.failing")
    assert "2 scheduled syncs failed in a row" in failing.detail
    assert Alert.objects.get(event="sync_job.failed").count == 2
    # The operator sets it active again through the API: recovered.
    answer = api_client.patch(f"/api/integrations/{erp.pk}", {"status": "active"}, format="json")
    assert answer.status_code == 200
    recovered = Alert.objects.get(event="integration.recovered")
    assert recovered.detail == "status set from error to active"
    # Set to error by hand: failing again (the same pending alert counts it).
    api_client.patch(f"/api/integrations/{erp.pk}", {"status": "error"}, format="json")
    assert Alert.objects.get(event="integration.failing").count == 2
    alerts_send_due()
    assert len(telegram.texts()) == 3
