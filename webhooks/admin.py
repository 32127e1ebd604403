"""Admin screens for stored webhooks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vendhub_integrations.admin_utils import pretty_json, short
from webhooks.models import Webhook


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "integration",
        "source",
        "event_type",
        "status",
        "signature_verified",
        "retry_count",
        "max_retries",
        "next_retry_at",
        "short_error",
    ]
    list_filter = ["status", "source", "signature_verified", "rejected", "created_at"]
    search_fields = ["event_type", "external_id", "error_message", "integration__code"]
    list_select_related = ["integration"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "integration",
        "event_type",
        "source",
        "external_id",
        "status",
        "processed_at",
        "retry_count",
        "max_retries",
        "next_retry_at",
        "locked_until",
        "error_message",
        "signature",
        "signature_verified",
        "rejected",
        "payload_pretty",
        "headers_pretty",
        "metadata_pretty",
        "created_at",
        "updated_at",
    ]
    exclude = ["payload", "headers", "metadata"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Last error")
    def short_error(self, obj: Webhook) -> str:
        return short(obj.error_message, 60)

    @admin.display(description="Payload")
    def payload_pretty(self, obj: Webhook) -> str:
        return pretty_json(obj.payload)

    @admin.display(description="Headers")
    def headers_pretty(self, obj: Webhook) -> str:
        return pretty_json(obj.headers, redact_keys=True)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj: Webhook) -> str:
        return pretty_json(obj.metadata)
