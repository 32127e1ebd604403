"""Writes on sync jobs: create, start, complete, fail, cancel; the scheduler pass and the sweeper.

Every status change is a conditional update along ``models.TRANSITIONS``, so two workers, a
cancel and the sweeper can race without a job ever taking two paths. The database, not this
code, guarantees at most one pending or running job per integration (a partial unique index);
the service turns that violation into ``SyncJobAlreadyActive`` naming the active job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.models import Integration, IntegrationStatus
from integrations.providers import provider_for
from integrations.services.connection import integration_metadata_update
from syncjobs.models import JobType, SyncJob, SyncJobStatus, statuses_leading_to
from syncjobs.selectors import sync_job_get_active

logger = logging.getLogger(__name__)

# A pending job whose wake-up message was sent this long ago and that no worker took is sent
# again (the message may be lost: broker down at commit, or flushed). Claiming is conditional, so
# a duplicate message is harmless.
PENDING_RESEND_AFTER = timedelta(minutes=5)
# A running job proves it is alive twice over: the engine writes metadata.heartbeat_at after
# every page, and a thread of the worker (syncjobs.heartbeat) touches the row's updated_at every
# RUNNING_HEARTBEAT_SECONDS for as long as the job runs, however long one request takes. A job
# silent for longer than RUNNING_STALE_AFTER (three missed beats) lost its worker: killed, out of
# memory, machine gone. It is failed rather than restarted: the next sync repeats the work, and
# upserts make that safe. The sweep runs every SYNC_SWEEP_EVERY_SECONDS from beat, so such a job
# ends failed well within a minute.
RUNNING_HEARTBEAT_SECONDS = 10.0
RUNNING_STALE_AFTER = timedelta(seconds=30)


# Tries to insert a job while the one-active-job index keeps refusing it for a job that is gone
# by the time it is looked up (it ended in between).
_INSERT_ATTEMPTS = 3


class SyncJobError(Exception):
    """Base of the errors operators see when a sync cannot be started or changed."""


class SyncJobInvalid(SyncJobError):
    """Bad input: unknown job type, entity not in config.mapping, provider that cannot sync."""


class SyncJobConflict(SyncJobError):
    """The request cannot be honoured in the current state (inactive integration, finished job)."""


class SyncJobAlreadyActive(SyncJobConflict):
    def __init__(self, active_job_id: Any) -> None:
        super().__init__("This integration already has a pending or running sync job.")
        self.active_job_id = active_job_id


def sync_job_entities(*, integration: Integration, job_type: str) -> list[str]:
    """The entities a job of ``job_type`` syncs; SyncJobInvalid if it names none we know."""
    mapping = integration.typed_config.mapping
    if job_type in JobType.ALL_ENTITIES:
        return list(mapping)
    if job_type.startswith(JobType.ENTITY_PREFIX):
        entity = job_type[len(JobType.ENTITY_PREFIX) :]
        if entity in mapping:
            return [entity]
        known = ", ".join(sorted(mapping)) or "none"
        raise SyncJobInvalid(
            f"Entity {entity!r} is not in config.mapping (mapped entities: {known})."
        )
    allowed = ", ".join([*JobType.ALL_ENTITIES, "sync_<entity>"])
    raise SyncJobInvalid(f"Unknown job type {job_type!r}; use one of: {allowed}.")


def _enqueue(job_id: Any) -> None:
    # Local: the tasks module imports this one (the service and its Celery task, the one
    # import circle allowed; pyproject.toml's import contracts).
    from syncjobs.tasks import sync_job_run_task

    try:
        sync_job_run_task.delay(str(job_id))
    except Exception:  # the row is the truth; the sweeper sends the message later
        logger.warning("could not send sync job %s to the broker; the sweeper will", job_id)


def sync_job_create(
    *,
    integration: Integration,
    job_type: str = JobType.MANUAL,
    requested_by: str = "api",
    enqueue: bool = True,
) -> SyncJob:
    """Create a pending job and, once committed, wake a worker for it.

    Raises SyncJobInvalid (400), SyncJobConflict for an inactive integration and
    SyncJobAlreadyActive when a pending or running job exists (409)."""
    if integration.status == IntegrationStatus.INACTIVE:
        raise SyncJobConflict("The integration is inactive; activate it before syncing.")
    provider = provider_for(integration)
    if provider is None or not provider.can_sync:
        raise SyncJobInvalid(f"Provider {integration.provider!r} has no sync connector.")
    entities = sync_job_entities(integration=integration, job_type=job_type)
    job = SyncJob(
        integration=integration,
        job_type=job_type,
        metadata={
            "requested_by": requested_by,
            "entities_requested": entities,
            "enqueued_at": timezone.now().isoformat(),
        },
    )
    for attempt in range(_INSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                job.save(force_insert=True)
            break
        except IntegrityError:
            # Asked rather than read from the error text: SQLite's message does not name the
            # index. No active job means it ended in between: the insert is tried again.
            active = sync_job_get_active(integration_id=integration.pk)
            if active is not None:
                raise SyncJobAlreadyActive(active.pk) from None
            if attempt == _INSERT_ATTEMPTS - 1:
                raise
    if enqueue:
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _transition(job_id: Any, to: str, **fields: Any) -> bool:
    """Move the job to ``to`` if its current status allows it; True when it moved."""
    now = timezone.now()
    return bool(
        SyncJob.objects.filter(pk=job_id, status__in=statuses_leading_to(to)).update(
            status=to, updated_at=now, **fields
        )
    )


def sync_job_start(*, job_id: Any) -> SyncJob | None:
    """Claim a pending job for this worker: pending → running. None when another worker, a
    cancel or the sweeper got there first."""
    now = timezone.now()
    claimed = SyncJob.objects.filter(pk=job_id, status=SyncJobStatus.PENDING).update(
        status=SyncJobStatus.RUNNING, started_at=now, updated_at=now
    )
    if not claimed:
        return None
    return SyncJob.objects.select_related("integration").get(pk=job_id)


def _after_finish(job: SyncJob, *, succeeded: bool, error_message: str | None = None) -> None:
    """Integration upkeep: ``last_sync_at`` on success; the run of failed scheduled syncs that
    turns the integration to ``error``."""
    integration = Integration.all_objects.get(pk=job.integration_id)
    if succeeded:
        changes: dict[str, Any] = {"last_sync_job_id": str(job.pk)}
        if job.job_type == JobType.SCHEDULED:
            changes["consecutive_sync_failures"] = None
        integration_metadata_update(
            integration_id=integration.pk, changes=changes, last_sync_at=timezone.now()
        )
        return
    if job.job_type != JobType.SCHEDULED:
        return
    limit = integration.typed_config.max_consecutive_failures
    with transaction.atomic():
        integration = Integration.all_objects.select_for_update().get(pk=integration.pk)
        failures = int((integration.metadata or {}).get("consecutive_sync_failures", 0)) + 1
        if failures < limit:
            integration_metadata_update(
                integration_id=integration.pk, changes={"consecutive_sync_failures": failures}
            )
            return
        reason = f"{failures} scheduled syncs failed in a row; the last one: {error_message}"
        integration_metadata_update(
            integration_id=integration.pk,
            changes={
                # Counted afresh once an operator sets the integration active again.
                "consecutive_sync_failures": None,
                "error_reason": reason,
                "error_at": timezone.now().isoformat(),
            },
            status=IntegrationStatus.ERROR,
        )
        if integration.status != IntegrationStatus.ERROR:
            alert_record(event="integration.failing", integration=integration, detail=reason)
    logger.warning("integration %s turned to error: %s", integration.code, reason)


def sync_job_complete(*, job: SyncJob, metadata: dict[str, Any] | None = None) -> bool:
    """running → completed. The counts were written page by page; False if the job was
    cancelled or failed meanwhile (it then keeps that status)."""
    fields: dict[str, Any] = {"completed_at": timezone.now()}
    if metadata is not None:
        fields["metadata"] = metadata
    moved = _transition(job.pk, SyncJobStatus.COMPLETED, **fields)
    if moved:
        _after_finish(job, succeeded=True)
    return moved


def sync_job_fail(
    *, job: SyncJob, error_message: str, metadata: dict[str, Any] | None = None
) -> bool:
    """pending/running → failed with the reason."""
    fields: dict[str, Any] = {"completed_at": timezone.now(), "error_message": error_message}
    if metadata is not None:
        fields["metadata"] = metadata
    with transaction.atomic():
        moved = _transition(job.pk, SyncJobStatus.FAILED, **fields)
        if moved:
            alert_record(
                event="sync_job.failed",
                integration=Integration.all_objects.filter(pk=job.integration_id).first(),
                detail=f"{job.job_type} job {job.pk}: {error_message}",
            )
    if moved:
        _after_finish(job, succeeded=False, error_message=error_message)
    return moved


def sync_job_cancel(*, job: SyncJob) -> SyncJob:
    """pending/running → cancelled. A running job notices between pages and stops, keeping what
    it stored. SyncJobConflict for a finished job."""
    if not _transition(job.pk, SyncJobStatus.CANCELLED, completed_at=timezone.now()):
        job.refresh_from_db()
        raise SyncJobConflict(
            f"The job is already {job.status}; only pending or running jobs can be cancelled."
        )
    job.refresh_from_db()
    return job


@dataclass
class SchedulerPass:
    """What one ``run_scheduled_syncs`` pass did, for the command and the task's log."""

    created: list[SyncJob] = field(default_factory=list)
    skipped_active: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    resent: int = 0
    failed_stale: int = 0


def run_scheduled_syncs(*, now: datetime | None = None) -> SchedulerPass:
    """One pass of the scheduler (beat runs it every minute): a ``scheduled_sync`` job for each
    due integration, ``next_sync_at`` moved to now + interval, then the sweeper.

    Due integrations are locked with SKIP LOCKED, so two overlapping passes split them instead
    of both creating jobs; the unique index stops a second job in any case."""
    now = now or timezone.now()
    result = SchedulerPass()
    with transaction.atomic():
        due = (
            Integration.objects.select_for_update(skip_locked=True)
            .filter(
                auto_sync_enabled=True,
                status=IntegrationStatus.ACTIVE,
                sync_interval_minutes__gt=0,
            )
            .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
            .order_by("next_sync_at", "pk")
        )
        for integration in due:
            Integration.all_objects.filter(pk=integration.pk).update(
                next_sync_at=now + timedelta(minutes=integration.sync_interval_minutes),
                updated_at=timezone.now(),
            )
            try:
                job = sync_job_create(
                    integration=integration, job_type=JobType.SCHEDULED, requested_by="scheduler"
                )
            except SyncJobAlreadyActive:
                result.skipped_active.append(integration.code)
            except SyncJobError as error:
                result.refused[integration.code] = str(error)
            else:
                result.created.append(job)
    for code, reason in result.refused.items():
        logger.warning("scheduled sync of %s not started: %s", code, reason)
    result.resent, result.failed_stale = sync_jobs_sweep(now=now)
    return result


def sync_jobs_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Recover from lost messages and dead workers: resend pending jobs nobody took, fail
    running jobs whose heartbeat stopped. Returns (resent, failed)."""
    now = now or timezone.now()
    resent = 0
    for job in SyncJob.objects.filter(status=SyncJobStatus.PENDING):
        sent_at = _metadata_time(job.metadata, "enqueued_at") or job.created_at
        if now - sent_at < PENDING_RESEND_AFTER:
            continue
        metadata = {**job.metadata, "enqueued_at": now.isoformat()}
        if SyncJob.objects.filter(pk=job.pk, status=SyncJobStatus.PENDING).update(
            metadata=metadata, updated_at=now
        ):
            transaction.on_commit(partial(_enqueue, job.pk))
            resent += 1
    failed = 0
    for job in SyncJob.objects.filter(status=SyncJobStatus.RUNNING).select_related("integration"):
        beat_at = max(
            moment
            for moment in (
                _metadata_time(job.metadata, "heartbeat_at"),
                job.updated_at,
                job.started_at,
                job.created_at,
            )
            if moment is not None
        )
        if now - beat_at < RUNNING_STALE_AFTER:
            continue
        message = f"The worker stopped: no heartbeat since {beat_at.isoformat()}."
        if sync_job_fail(job=job, error_message=message):
            failed += 1
    return resent, failed


def _metadata_time(metadata: dict[str, Any] | None, key: str) -> datetime | None:
    value = (metadata or {}).get(key)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
