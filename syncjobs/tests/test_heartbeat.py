"""A running job stays alive to the sweeper through a page slower than the staleness window,
and one whose worker stopped beating is failed within it (issue #9: a minute, not 5)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.testing.processes import wait_until
from syncjobs.heartbeat import JobHeartbeat
from syncjobs.models import SyncJob
from syncjobs.services import RUNNING_STALE_AFTER, sync_job_create, sync_job_start, sync_jobs_sweep
from syncjobs.tests.test_scheduler import due_integration

pytestmark = pytest.mark.django_db(transaction=True)


def _running_job() -> SyncJob:
    job = sync_job_create(integration=due_integration(), enqueue=False)
    started = sync_job_start(job_id=job.pk)
    assert started is not None
    return started


def test_the_heartbeat_keeps_a_slow_job_alive_and_stops_with_it():
    job = _running_job()
    long_ago = timezone.now() - RUNNING_STALE_AFTER * 3
    SyncJob.objects.filter(pk=job.pk).update(updated_at=long_ago, started_at=long_ago)

    with JobHeartbeat(job.pk, every_seconds=0.1) as heartbeat:
        assert wait_until(lambda: heartbeat.beats >= 2, timeout=5)
        # One page may be taking minutes: the row still shows a recent sign of life.
        assert sync_jobs_sweep() == (0, 0)
    beats = heartbeat.beats
    time.sleep(0.3)
    assert heartbeat.beats == beats  # the thread ended with the block
    job.refresh_from_db()
    assert job.status == "running"


def test_a_job_silent_past_the_window_is_failed_and_the_next_sync_can_start():
    job = _running_job()
    assert RUNNING_STALE_AFTER.total_seconds() <= 45

    assert sync_jobs_sweep(now=timezone.now() + RUNNING_STALE_AFTER / 2) == (0, 0)
    assert sync_jobs_sweep(now=timezone.now() + RUNNING_STALE_AFTER + timedelta(seconds=1)) == (
        0,
        1,
    )

    job.refresh_from_db()
    assert job.status == "failed" and "no heartbeat" in (job.error_message or "")
    assert sync_job_create(integration=job.integration, enqueue=False).status == "pending"


def test_the_heartbeat_stops_once_the_job_is_no_longer_running():
    job = _running_job()
    SyncJob.objects.filter(pk=job.pk).update(status="cancelled")

    with JobHeartbeat(job.pk, every_seconds=0.05) as heartbeat:
        time.sleep(0.3)
        assert not heartbeat._thread.is_alive()
    assert heartbeat.beats == 0
