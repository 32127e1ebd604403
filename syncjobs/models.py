"""SyncJob: one run that copies entities of an outside system (1C, a REST API) into VendHub."""

from __future__ import annotations

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
