"""Admin screens for sync jobs and synced records, and the operator actions of the sync engine:
test connection and trigger sync on the integration list, cancel on the job list. Each action
calls the same service as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from integrations.admin import register_integration_action
from integrations.admin.base import (
    HistoryAdmin,
    ObjectButton,
    ObjectButtonsMixin,
    pretty_json,
    short,
)
from integrations.models import Integration
from integrations.services.connection import integration_test_connection
from syncjobs.models import ACTIVE_STATUSES, JobType, SyncedRecord, SyncJob
from syncjobs.services import (
    SyncJobAlreadyActive,
    SyncJobError,
    sync_job_cancel,
    sync_job_create,
)

# Where the name of a synced record usually is: 1C's catalogues, then common REST spellings.
TITLE_FIELDS = ("Description", "Наименование", "name", "title", "Name", "Title")


@register_integration_action(button="Test connection")
# Both write (a log, the test result in metadata; a new job): for who may change integrations.
@admin.action(description="Test connection of selected integrations", permissions=["change"])
def test_connection(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
    for integration in queryset.filter(deleted_at__isnull=True):
        result = integration_test_connection(integration=integration)
        level = messages.SUCCESS if result.success else messages.ERROR
        modeladmin.message_user(request, f"{integration}: {result.message}", level)


@register_integration_action(button="Sync now")
@admin.action(description="Trigger a sync of selected integrations", permissions=["change"])
def trigger_sync(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
    for integration in queryset.filter(deleted_at__isnull=True):
        try:
            job = sync_job_create(
                integration=integration, job_type=JobType.MANUAL, requested_by="admin"
            )
        except SyncJobAlreadyActive as error:
            modeladmin.message_user(
                request,
                format_html(
                    '{}: <a href="{}">a job is already active</a> ({}).',
                    integration,
                    _job_url(error.active_job_id),
                    error.active_job_id,
                ),
                messages.WARNING,
            )
        except SyncJobError as error:
            modeladmin.message_user(request, f"{integration}: {error}", messages.ERROR)
        else:
            modeladmin.message_user(
                request,
                format_html(
                    '{}: <a href="{}">sync job {}</a> queued.',
                    integration,
                    _job_url(job.pk),
                    job.pk,
                ),
            )


def _job_url(job_id: Any) -> str:
    return reverse("admin:syncjobs_syncjob_change", args=[job_id])


@admin.register(SyncJob)
class SyncJobAdmin(ObjectButtonsMixin, HistoryAdmin):
    list_display = [
        "created_at",
        "status",
        "integration_code",
        "job_type",
        "progress",
        "records",
        "duration",
        "short_error",
    ]
    list_filter = [
        "status",
        ("integration", admin.RelatedOnlyFieldListFilter),
        "job_type",
        "created_at",
    ]
    search_fields = ["job_type", "error_message", "integration__code"]
    list_select_related = ["integration"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "integration",
        "job_type",
        "status",
        "progress",
        "started_at",
        "completed_at",
        "records_processed",
        "records_created",
        "records_updated",
        "records_failed",
        "error_message",
        "metadata_pretty",
        "created_at",
        "updated_at",
    ]
    exclude = ["metadata"]
    actions = ["cancel_jobs"]

    def object_buttons(self, request: HttpRequest) -> list[ObjectButton]:
        return [
            ObjectButton(
                name="cancel",
                label="Cancel",
                action="cancel_jobs",
                run=self._cancel,
                applies=lambda job: job.status in ACTIVE_STATUSES,
            )
        ]

    def _cancel(self, request: HttpRequest, job: SyncJob) -> None:
        try:
            sync_job_cancel(job=job)
        except SyncJobError as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            self.message_user(request, f"Sync job {job.pk} cancelled.")

    @admin.display(description="Integration", ordering="integration__code")
    def integration_code(self, obj: SyncJob) -> str:
        return obj.integration.code

    @admin.display(description="Progress")
    def progress(self, obj: SyncJob) -> str:
        progress = (obj.metadata or {}).get("progress")
        if isinstance(progress, dict):
            percent = progress.get("percent")
            message = progress.get("message") or ""
            # The percentage counts whole entities done: with one entity it stays at 0 % until
            # the end, so it is shown only while a job runs and not for a single entity.
            single = progress.get("entity_count") == 1
            if percent is not None and not single and obj.status in ACTIVE_STATUSES:
                return f"{percent}% · {message}"
            return message
        return str(progress or "")

    @admin.display(description="Records", ordering="records_processed")
    def records(self, obj: SyncJob) -> str:
        return (
            f"{obj.records_processed} read · {obj.records_created} created · "
            f"{obj.records_updated} updated · {obj.records_failed} failed"
        )

    @admin.display(description="Took", ordering="completed_at")
    def duration(self, obj: SyncJob) -> str:
        if obj.started_at is None:
            return "—"
        end = obj.completed_at or timezone.now()
        seconds = max(0, int((end - obj.started_at).total_seconds()))
        text = f"{seconds // 3600}h {seconds // 60 % 60:02d}m" if seconds >= 3600 else ""
        if not text:
            text = f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
        return text if obj.completed_at else f"{text} so far"

    @admin.display(description="Error")
    def short_error(self, obj: SyncJob) -> str:
        return short(obj.error_message, 60)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj: SyncJob) -> str:
        return pretty_json(obj.metadata)

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        # Cancelling stops a job: for who may change sync jobs, not a viewer.
        return request.user.has_perm("syncjobs.change_syncjob")

    @admin.action(description="Cancel selected pending or running jobs", permissions=["cancel"])
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[SyncJob]) -> None:
        cancelled = 0
        for job in queryset.filter(status__in=ACTIVE_STATUSES):
            try:
                sync_job_cancel(job=job)
            except SyncJobError:
                continue
            cancelled += 1
        skipped = queryset.count() - cancelled
        self.message_user(
            request,
            f"Cancelled {cancelled} job(s); {skipped} already finished.",
            messages.SUCCESS if cancelled else messages.WARNING,
        )


@admin.register(SyncedRecord)
class SyncedRecordAdmin(HistoryAdmin):
    list_display = [
        "external_id",
        "title",
        "entity",
        "integration_code",
        "is_deleted",
        "first_synced_at",
        "last_synced_at",
    ]
    list_filter = ["entity", "is_deleted", "integration"]
    search_fields = ["external_id", "entity", "integration__code"]
    list_select_related = ["integration"]
    readonly_fields = [
        "id",
        "integration",
        "entity",
        "external_id",
        "is_deleted",
        "version",
        "first_synced_at",
        "last_synced_at",
        "last_job",
        "data_pretty",
    ]
    exclude = ["data"]
    show_full_result_count = False

    @admin.display(description="Title")
    def title(self, obj: SyncedRecord) -> str:
        """What the record is called upstream: 1C's Description, else a usual name field."""
        data = obj.data if isinstance(obj.data, dict) else {}
        for key in TITLE_FIELDS:
            value = data.get(key)
            if isinstance(value, (str, int)) and str(value).strip():
                return short(str(value), 60)
        return "—"

    @admin.display(description="Integration", ordering="integration__code")
    def integration_code(self, obj: SyncedRecord) -> str:
        return obj.integration.code

    @admin.display(description="Data (as received)")
    def data_pretty(self, obj: SyncedRecord) -> str:
        return pretty_json(obj.data)
