"""End to end with a real Celery worker process: the API starts a job, the worker runs it
against the local 1C server; a cancel in the middle of a run stops it within seconds; a job
whose worker was killed is failed by the sweeper, freeing the integration."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.testing.onec_server import CATALOGUE, ODataServer, catalogue_item
from core.testing.processes import wait_until
from core.testing.worker import celery_worker
from integrations.models import Integration
from syncjobs.models import SyncedRecord, SyncJob
from syncjobs.services import RUNNING_STALE_AFTER, sync_jobs_sweep

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def job_status(job_id: str) -> str:
    return SyncJob.objects.values_list("status", flat=True).get(pk=job_id)


def test_a_sync_started_through_the_api_completes_on_a_worker(
    api_client: APIClient,
    onec_integration: Integration,
    onec_server: ODataServer,
    worker_broker_url: str,
) -> None:
    with celery_worker(broker_url=worker_broker_url) as worker:
        response = api_client.post(f"/api/integrations/{onec_integration.pk}/sync")
        assert response.status_code == 202
        job_id = response.json()["id"]
        finished = wait_until(lambda: job_status(job_id) == "completed", timeout=30)
        assert finished, worker.output()[-3000:]

        # The command's --wait follows a job the worker runs and exits 0 once it completed.
        out = io.StringIO()
        call_command("sync", "onec", "sync_products", "--wait", stdout=out, stderr=io.StringIO())
        assert "completed: 5 read, 0 created, 0 updated, 0 failed" in out.getvalue()

    job = SyncJob.objects.get(pk=job_id)
    assert (job.records_processed, job.records_created) == (5, 5)
    assert SyncedRecord.objects.filter(integration=onec_integration).count() == 5


def test_cancel_in_the_middle_of_a_run_stops_it_within_seconds_keeping_stored_rows(
    api_client: APIClient,
    onec_integration: Integration,
    onec_server: ODataServer,
    worker_broker_url: str,
) -> None:
    onec_server.entity_sets[CATALOGUE] = [catalogue_item(n) for n in range(1, 61)]
    onec_server.delay_seconds = 0.25  # 30 pages of 2: about 8 s if nobody stops it

    with celery_worker(broker_url=worker_broker_url) as worker:
        job_id = api_client.post(f"/api/integrations/{onec_integration.pk}/sync").json()["id"]
        started = wait_until(
            lambda: SyncJob.objects.get(pk=job_id).records_processed >= 4, timeout=30
        )
        assert started, worker.output()[-3000:]

        response = api_client.post(f"/api/sync-jobs/{job_id}/cancel")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        requests_at_cancel = len(onec_server.data_requests())

        # The worker notices at its next page, asks the server for nothing more and ends its task.
        task_ended = re.compile(r"Task syncjobs\.run_job\[[^]]+\] succeeded in ")
        finished = wait_until(lambda: task_ended.search(worker.output()) is not None, timeout=30)
        assert finished, worker.output()[-3000:]
        # At most the one page asked for after the last write before the cancel, then none.
        assert len(onec_server.data_requests()) <= requests_at_cancel + 1
        assert "Traceback" not in worker.output()

    job = SyncJob.objects.get(pk=job_id)
    stored = SyncedRecord.objects.filter(integration=onec_integration).count()
    assert job.status == "cancelled"
    assert 4 <= stored < 60
    assert job.records_created == stored


def test_a_job_whose_worker_died_is_failed_by_the_sweeper_and_the_integration_freed(
    api_client: APIClient,
    onec_integration: Integration,
    onec_server: ODataServer,
    worker_broker_url: str,
) -> None:
    onec_server.entity_sets[CATALOGUE] = [catalogue_item(n) for n in range(1, 61)]
    onec_server.delay_seconds = 0.25

    with celery_worker(broker_url=worker_broker_url) as worker:
        job_id = api_client.post(f"/api/integrations/{onec_integration.pk}/sync").json()["id"]
        assert wait_until(
            lambda: SyncJob.objects.get(pk=job_id).records_processed >= 2, timeout=30
        ), worker.output()[-3000:]
        worker.kill()

    assert job_status(job_id) == "running"
    assert sync_jobs_sweep() == (0, 0)  # a fresh heartbeat: maybe just a slow page
    later = timezone.now() + RUNNING_STALE_AFTER + timedelta(seconds=1)
    assert sync_jobs_sweep(now=later) == (0, 1)

    job = SyncJob.objects.get(pk=job_id)
    assert job.status == "failed" and "no heartbeat" in (job.error_message or "")
    assert job.records_created == SyncedRecord.objects.filter(integration=onec_integration).count()
    assert api_client.post(f"/api/integrations/{onec_integration.pk}/sync").status_code == 202
