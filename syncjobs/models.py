"""SyncJob: one run that copies entities of an outside system (1C, a REST API) into VendHub;
SyncedRecord: what the runs stored, one row per outside record."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from integrations.models import Integration, TimestampedModel


class SyncJobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (SyncJobStatus.PENDING, SyncJobStatus.RUNNING)
FINISHED_STATUSES = (SyncJobStatus.COMPLETED, SyncJobStatus.FAILED, SyncJobStatus.CANCELLED)

# The allowed transitions, written down once; services move a job only along these.
TRANSITIONS: dict[str, frozenset[str]] = {
    SyncJobStatus.PENDING: frozenset(
        {SyncJobStatus.RUNNING, SyncJobStatus.FAILED, SyncJobStatus.CANCELLED}
    ),
    SyncJobStatus.RUNNING: frozenset(
        {SyncJobStatus.COMPLETED, SyncJobStatus.FAILED, SyncJobStatus.CANCELLED}
    ),
}


def statuses_leading_to(status: str) -> list[str]:
    """The statuses a job may be in to move to ``status``."""
    return [source for source, targets in TRANSITIONS.items() if status in targets]


class SyncJob(TimestampedModel):
    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="sync_jobs", db_index=False
    )
    job_type = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=SyncJobStatus.choices, default=SyncJobStatus.PENDING
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    records_processed = models.PositiveIntegerField(default=0)
    records_created = models.PositiveIntegerField(default=0)
    records_updated = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    error_message = models.TextField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "sync_jobs"
        ordering = ["-created_at"]
        constraints = [
            # At most one pending or running job per integration, whoever asks for it.
            models.UniqueConstraint(
                fields=["integration"],
                condition=Q(status__in=["pending", "running"]),
                name="sync_jobs_one_active_per_integration",
                violation_error_message="This integration already has a pending or running job.",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "-created_at"], name="sync_jobs_integration_idx"),
            models.Index(fields=["status"], name="sync_jobs_status_idx"),
            models.Index(fields=["job_type"], name="sync_jobs_job_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} [{self.status}]"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class JobType:
    """The job types the contract names; ``sync_<entity>`` syncs one entity of config.mapping."""

    MANUAL = "manual_sync"
    SCHEDULED = "scheduled_sync"
    FULL = "full_sync"
    ALL_ENTITIES = (MANUAL, SCHEDULED, FULL)
    ENTITY_PREFIX = "sync_"


class SyncedRecord(models.Model):
    """The last copy of one outside record (a 1C catalogue item, a REST object) as received."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Both foreign keys are kept by Django (PROTECT, SET_NULL on delete) but not by a database
    # constraint: PostgreSQL checks one row by one row, twice for each record a sync inserts and
    # once for each it marks seen, about a quarter of a first load. Neither referenced row is
    # deleted but through the ORM (integrations are soft-deleted; jobs are kept).
    integration = models.ForeignKey(
        Integration,
        on_delete=models.PROTECT,
        related_name="synced_records",
        db_index=False,
        db_constraint=False,
    )
    entity = models.CharField(max_length=128)
    external_id = models.CharField(max_length=255)
    data = models.JSONField(default=dict)
    is_deleted = models.BooleanField(default=False)
    # What change detection compares: the source's own version (1C DataVersion) when it has one,
    # else a SHA-256 of the record's canonical JSON. Equal version and deletion mark = unchanged.
    version = models.CharField(max_length=128)
    first_synced_at = models.DateTimeField()
    last_synced_at = models.DateTimeField()
    last_job = models.ForeignKey(
        SyncJob,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        db_table = "synced_records"
        ordering = ["entity", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "entity", "external_id"],
                name="synced_records_unique_key",
            ),
        ]
        # No index on last_synced_at: every sync rewrites it on every record it sees, so such an
        # index would take a new entry per record per sync and keep the "seen" update from being
        # HOT (see migration 0003); ``synced_after`` matches most rows after any full sync anyway.
        indexes = [
            models.Index(fields=["external_id"], name="synced_records_external_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.external_id}"
