"""Admin screens for sync jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from syncjobs.models import SyncJob
from vendhub_integrations.admin_utils import pretty_json, short


@admin.register(SyncJob)
class SyncJobAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "integration",
        "job_type",
        "status",
        "progress",
        "records_processed",
        "records_created",
        "records_updated",
        "records_failed",
        "started_at",
        "completed_at",
        "short_error",
    ]
    list_filter = ["status", "job_type", "created_at"]
    search_fields = ["job_type", "error_message", "integration__code"]
    list_select_related = ["integration"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "integration",
        "job_type",
        "status",
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Progress")
    def progress(self, obj: SyncJob) -> str:
        progress = (obj.metadata or {}).get("progress")
        if isinstance(progress, dict):
            return str(progress.get("message") or progress.get("percent") or "")
        return str(progress or "")

    @admin.display(description="Error")
    def short_error(self, obj: SyncJob) -> str:
        return short(obj.error_message, 60)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj: SyncJob) -> str:
        return pretty_json(obj.metadata)
