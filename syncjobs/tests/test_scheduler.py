"""The scheduler pass: which integrations are due, next_sync_at upkeep, no duplicate jobs when
passes overlap, and the sweeper for lost messages and dead workers (time moved by time-machine)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory
from syncjobs.engine import sync_job_execute
from syncjobs.models import SyncJob
from syncjobs.services import (
    run_scheduled_syncs,
    sync_job_create,
    sync_job_start,
    sync_jobs_sweep,
)

NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def due_integration(**overrides: object) -> Integration:
    fields = {
        "api_endpoint": "http://127.0.0.1:9/api",
        "auto_sync_enabled": True,
        "sync_interval_minutes": 60,
        "next_sync_at": None,
        "config": {"mapping": {"products": "products"}},
        **overrides,
    }
    return IntegrationFactory(**fields)


@pytest.mark.django_db
@time_machine.travel(NOON, tick=False)
def test_due_integrations_get_one_scheduled_job_and_next_sync_at_moves_on() -> None:
    never_synced = due_integration()
    overdue = due_integration(next_sync_at=NOON - timedelta(minutes=1))
    exactly_now = due_integration(next_sync_at=NOON, sync_interval_minutes=15)
    later = due_integration(next_sync_at=NOON + timedelta(minutes=1))
    disabled = due_integration(auto_sync_enabled=False)
    zero_interval = due_integration(sync_interval_minutes=0)
    testing = due_integration(status="testing")
    inactive = due_integration(status="inactive")
    errored = due_integration(status="error")

    result = run_scheduled_syncs()

    scheduled = {job.integration_id for job in result.created}
    assert scheduled == {never_synced.pk, overdue.pk, exactly_now.pk}
    assert all(job.job_type == "scheduled_sync" for job in result.created)
    for integration in (never_synced, overdue, exactly_now):
        integration.refresh_from_db()
        expected = NOON + timedelta(minutes=integration.sync_interval_minutes)
        assert integration.next_sync_at == expected
    for integration in (later, disabled, zero_interval, testing, inactive, errored):
        assert not SyncJob.objects.filter(integration=integration).exists()
    later.refresh_from_db()
    assert later.next_sync_at == NOON + timedelta(minutes=1)


@pytest.mark.django_db
def test_a_pass_while_a_job_is_active_creates_no_second_job() -> None:
    integration = due_integration(sync_interval_minutes=1)
    with time_machine.travel(NOON, tick=False):
        first = run_scheduled_syncs()
    assert len(first.created) == 1
    with time_machine.travel(NOON + timedelta(minutes=2), tick=False):
        second = run_scheduled_syncs()
    assert second.created == [] and second.skipped_active == [integration.code]
    assert SyncJob.objects.filter(integration=integration).count() == 1
    integration.refresh_from_db()
    assert integration.next_sync_at == NOON + timedelta(minutes=3)


@pytest.mark.django_db
def test_the_next_pass_after_the_interval_schedules_again() -> None:
    integration = due_integration(sync_interval_minutes=30)
    with time_machine.travel(NOON, tick=False):
        [job] = run_scheduled_syncs().created
    SyncJob.objects.filter(pk=job.pk).update(status="completed")
    with time_machine.travel(NOON + timedelta(minutes=29), tick=False):
        assert run_scheduled_syncs().created == []
    with time_machine.travel(NOON + timedelta(minutes=30), tick=False):
        assert [j.integration_id for j in run_scheduled_syncs().created] == [integration.pk]


@pytest.mark.django_db(transaction=True)
def test_overlapping_passes_skip_integrations_another_pass_holds() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED row locks need PostgreSQL (SQLite locks the whole file)")
    integration = due_integration()
    locked = threading.Event()
    release = threading.Event()

    def other_pass_holding_the_row() -> None:
        try:
            with transaction.atomic():
                Integration.objects.select_for_update().get(pk=integration.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=other_pass_holding_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        result = run_scheduled_syncs()
    finally:
        release.set()
        holder.join()
    assert result.created == []
    assert not SyncJob.objects.exists()
    assert len(run_scheduled_syncs().created) == 1


@pytest.mark.django_db
def test_the_sweeper_resends_pending_jobs_and_fails_running_jobs_that_went_silent(
    django_capture_on_commit_callbacks,
) -> None:
    stuck_pending = due_integration()
    dead_worker = due_integration()
    alive = due_integration()
    with time_machine.travel(NOON, tick=False):
        pending = sync_job_create(integration=stuck_pending, enqueue=False)
        running = sync_job_create(integration=dead_worker, enqueue=False)
        sync_job_start(job_id=running.pk)
        healthy = sync_job_create(integration=alive, enqueue=False)
        sync_job_start(job_id=healthy.pk)
    SyncJob.objects.filter(pk=healthy.pk).update(
        metadata={"heartbeat_at": (NOON + timedelta(minutes=5, seconds=45)).isoformat()}
    )

    with time_machine.travel(NOON + timedelta(seconds=20), tick=False):
        assert sync_jobs_sweep() == (0, 0)
    with (
        time_machine.travel(NOON + timedelta(minutes=6), tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        resent, failed = sync_jobs_sweep()

    assert (resent, failed) == (1, 1)
    assert len(callbacks) == 1
    pending.refresh_from_db()
    running.refresh_from_db()
    healthy.refresh_from_db()
    assert pending.status == "pending"
    assert pending.metadata["enqueued_at"] == (NOON + timedelta(minutes=6)).isoformat()
    assert running.status == "failed" and "no heartbeat" in (running.error_message or "")
    assert healthy.status == "running"


@pytest.mark.django_db
def test_scheduled_failures_in_a_row_stop_the_schedule_with_the_reason() -> None:
    integration = due_integration(sync_interval_minutes=1, config={"mapping": {}})
    for minute in range(5):
        with time_machine.travel(NOON + timedelta(minutes=minute), tick=False):
            created = run_scheduled_syncs().created
            assert len(created) == 1
            job = sync_job_execute(job_id=created[0].pk)
            assert job is not None and job.status == "failed"
    integration.refresh_from_db()
    assert integration.status == "error"
    assert "config.mapping names no entity" in integration.metadata["error_reason"]
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        assert run_scheduled_syncs().created == []
