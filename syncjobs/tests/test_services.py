"""Job lifecycle services: creation rules, one active job per integration, transitions, and the
run of failed scheduled syncs that turns an integration to ``error``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory
from syncjobs.models import SyncJob
from syncjobs.services import (
    SyncJobAlreadyActive,
    SyncJobConflict,
    SyncJobInvalid,
    sync_job_cancel,
    sync_job_complete,
    sync_job_create,
    sync_job_fail,
    sync_job_start,
)
from syncjobs.tests.factories import SyncJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration() -> Integration:
    return IntegrationFactory(
        api_endpoint="http://127.0.0.1:9/api",
        config={"mapping": {"products": "products", "orders": "orders"}},
    )


def test_a_second_job_while_one_is_active_names_the_active_job(integration: Integration) -> None:
    first = sync_job_create(integration=integration, enqueue=False)

    with pytest.raises(SyncJobAlreadyActive) as raised:
        sync_job_create(integration=integration, job_type="full_sync", enqueue=False)

    assert raised.value.active_job_id == first.pk
    sync_job_start(job_id=first.pk)
    with pytest.raises(SyncJobAlreadyActive):
        sync_job_create(integration=integration, enqueue=False)
    sync_job_fail(job=first, error_message="boom")
    assert sync_job_create(integration=integration, enqueue=False).status == "pending"


def test_a_job_that_ends_while_a_new_one_is_refused_lets_the_new_one_start(
    integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The active job may finish between the refused insert and the question which job is
    active: the request then finds none, and must start its job rather than fail with a 500."""
    from syncjobs import services

    active = sync_job_create(integration=integration, enqueue=False)
    asked = services.sync_job_get_active

    def ends_in_between(**kwargs: Any) -> SyncJob | None:
        sync_job_cancel(job=active)
        return asked(**kwargs)

    monkeypatch.setattr(services, "sync_job_get_active", ends_in_between)
    job = sync_job_create(integration=integration, enqueue=False)

    assert job.status == "pending" and job.pk != active.pk
    assert SyncJob.objects.get(pk=job.pk).status == "pending"


def test_the_database_itself_refuses_a_second_active_job(integration: Integration) -> None:
    SyncJobFactory(integration=integration, status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncJobFactory(integration=integration, status="pending")


@pytest.mark.parametrize(
    ("job_type", "message"),
    [
        ("nightly", "Unknown job type 'nightly'"),
        ("sync_customers", "Entity 'customers' is not in config.mapping"),
        ("sync_", "Entity '' is not in config.mapping"),
    ],
)
def test_unknown_job_types_and_entities_are_refused(
    integration: Integration, job_type: str, message: str
) -> None:
    with pytest.raises(SyncJobInvalid, match=message):
        sync_job_create(integration=integration, job_type=job_type, enqueue=False)
    assert not SyncJob.objects.exists()


def test_entity_job_types_and_all_entity_types_are_accepted(integration: Integration) -> None:
    for job_type in ("sync_products", "manual_sync", "full_sync", "scheduled_sync"):
        job = sync_job_create(integration=integration, job_type=job_type, enqueue=False)
        expected = ["products"] if job_type == "sync_products" else ["products", "orders"]
        assert job.metadata["entities_requested"] == expected
        sync_job_cancel(job=job)


def test_an_inactive_integration_cannot_sync(integration: Integration) -> None:
    integration.status = "inactive"
    integration.save()
    with pytest.raises(SyncJobConflict, match="inactive"):
        sync_job_create(integration=integration, enqueue=False)


def test_a_job_is_claimed_once_and_finished_jobs_do_not_move(integration: Integration) -> None:
    job = sync_job_create(integration=integration, enqueue=False)

    assert sync_job_start(job_id=job.pk) is not None
    assert sync_job_start(job_id=job.pk) is None
    assert sync_job_complete(job=job) is True
    assert sync_job_fail(job=job, error_message="late") is False
    job.refresh_from_db()
    assert job.status == "completed" and job.error_message is None
    with pytest.raises(SyncJobConflict, match="already completed"):
        sync_job_cancel(job=job)


def test_cancel_wins_over_a_later_completion(integration: Integration) -> None:
    job = sync_job_create(integration=integration, enqueue=False)
    sync_job_start(job_id=job.pk)

    cancelled = sync_job_cancel(job=job)

    assert cancelled.status == "cancelled" and cancelled.completed_at is not None
    assert sync_job_complete(job=job) is False
    assert sync_job_start(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_consecutive_failed_scheduled_syncs_turn_the_integration_to_error(
    integration: Integration,
) -> None:
    integration.config["max_consecutive_failures"] = 3
    integration.save()

    def scheduled_failure(message: str) -> None:
        job = sync_job_create(integration=integration, job_type="scheduled_sync", enqueue=False)
        sync_job_start(job_id=job.pk)
        sync_job_fail(job=job, error_message=message)

    scheduled_failure("HTTP 503")
    scheduled_failure("HTTP 503")
    # A manual failure neither counts nor breaks the run; a completed scheduled sync resets it.
    manual = sync_job_create(integration=integration, enqueue=False)
    sync_job_fail(job=manual, error_message="manual")
    integration.refresh_from_db()
    assert integration.status == "active"
    assert integration.metadata["consecutive_sync_failures"] == 2

    ok = sync_job_create(integration=integration, job_type="scheduled_sync", enqueue=False)
    sync_job_start(job_id=ok.pk)
    sync_job_complete(job=ok)
    integration.refresh_from_db()
    assert "consecutive_sync_failures" not in integration.metadata
    assert integration.last_sync_at is not None

    for _ in range(3):
        scheduled_failure("HTTP 401, the credentials were refused")
    integration.refresh_from_db()
    assert integration.status == "error"
    assert "3 scheduled syncs failed in a row" in integration.metadata["error_reason"]
    assert "credentials were refused" in integration.metadata["error_reason"]


def test_default_limit_is_five(integration: Integration) -> None:
    for attempt in range(1, 6):
        job = sync_job_create(integration=integration, job_type="scheduled_sync", enqueue=False)
        sync_job_fail(job=job, error_message="down")
        integration.refresh_from_db()
        assert integration.status == ("error" if attempt == 5 else "active")


def test_a_provider_that_cannot_sync_is_refused() -> None:
    gateway = IntegrationFactory(type="payment_gateway", provider="payme", api_endpoint=None)
    with pytest.raises(SyncJobInvalid, match="no sync connector"):
        sync_job_create(integration=gateway, enqueue=False)


def test_the_job_is_sent_to_the_worker_only_after_commit(
    integration: Integration, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sync_job_create(integration=integration)
    assert len(callbacks) == 1
