"""The ways a 1C sync job fails (bad credentials, timeouts, server errors), its retries, and
what a failure keeps of the pages stored before it."""

from __future__ import annotations

import base64
import time

import pytest

from core.testing.onec_server import USERNAME, ODataServer
from integrations.models import Integration, IntegrationLog
from syncjobs.models import SyncedRecord
from syncjobs.tests.runs import run_sync

pytestmark = pytest.mark.django_db


def test_bad_credentials_fail_the_job_and_no_secret_is_logged(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.api_secret = "wrong-пароль-1234"
    onec_integration.save()

    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "401" in (job.error_message or "") and "credentials" in (job.error_message or "")
    assert SyncedRecord.objects.count() == 0
    log = IntegrationLog.objects.get(action="sync_page")
    assert log.status_code == 401
    assert log.metadata["sync_job_id"] == str(job.pk)
    assert log.request_data["headers"]["Authorization"] == "[REDACTED]"
    stored = str(list(IntegrationLog.objects.values()))
    assert "wrong-пароль-1234" not in stored
    assert base64.b64encode(f"{USERNAME}:wrong-пароль-1234".encode()).decode() not in stored


def test_a_server_slower_than_config_timeout_fails_the_job_after_the_retries(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.config.update({"timeout": 200, "http_retries": 1})
    onec_integration.save()
    onec_server.delay_seconds = 1.0

    started = time.monotonic()
    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "no answer" in (job.error_message or "") and "timed out" in (job.error_message or "")
    assert time.monotonic() - started < 5
    logs = IntegrationLog.objects.filter(action="sync_page")
    assert logs.count() == 2
    assert all(log.status_code is None and "timed out" in (log.error_message or "") for log in logs)


def test_429_and_503_are_retried_honouring_retry_after(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.config.update({"http_retries": 3})
    onec_integration.save()
    onec_server.fail_next(429, Retry_After="1")
    onec_server.fail_next(503, Retry_After="0")

    started = time.monotonic()
    job = run_sync(onec_integration)

    assert job.status == "completed", job.error_message
    assert job.records_created == 5
    assert time.monotonic() - started >= 1.0
    statuses = list(
        IntegrationLog.objects.filter(action="sync_page")
        .order_by("created_at")
        .values_list("status_code", flat=True)
    )
    assert statuses[:3] == [429, 503, 200]


def test_server_errors_beyond_the_retries_fail_the_job(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.config.update({"http_retries": 1})
    onec_integration.save()
    onec_server.fail_next(500, times=2, Retry_After="0")

    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "HTTP 500 after 2 attempts" in (job.error_message or "")


def test_a_failure_on_a_later_page_keeps_what_was_stored(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_server.fail_next(404, after=1)

    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "HTTP 404" in (job.error_message or "")
    assert (job.records_processed, job.records_created) == (2, 2)
    assert SyncedRecord.objects.count() == 2
    assert job.metadata["entities"]["products"]["created"] == 2
