"""The integration log's admin: read-only, with endpoints decoded and bodies shown redacted."""

from __future__ import annotations

from urllib.parse import unquote

from django.contrib import admin

from integrations.admin.base import HistoryAdmin, pretty_json, short
from integrations.models import IntegrationLog


@admin.register(IntegrationLog)
class IntegrationLogAdmin(HistoryAdmin):
    list_display = [
        "created_at",
        "integration_code",
        "direction",
        "action",
        "status_code",
        "duration_ms",
        "short_error",
        "short_endpoint",
    ]
    list_filter = [
        ("integration", admin.RelatedOnlyFieldListFilter),
        "direction",
        "action",
        "status_code",
        "created_at",
    ]
    search_fields = ["endpoint", "action", "error_message", "integration__code"]
    list_select_related = ["integration"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "integration",
        "action",
        "direction",
        "endpoint_readable",
        "status_code",
        "duration_ms",
        "error_message",
        "request_pretty",
        "response_pretty",
        "metadata_pretty",
        "created_at",
        "updated_at",
    ]
    exclude = ["endpoint", "request_data", "response_data", "metadata"]

    @admin.display(description="Endpoint")
    def endpoint_readable(self, obj: IntegrationLog) -> str:
        return unquote(obj.endpoint or "")

    @admin.display(description="Integration", ordering="integration__code")
    def integration_code(self, obj: IntegrationLog) -> str:
        return obj.integration.code if obj.integration else "—"

    @admin.display(description="Endpoint")
    def short_endpoint(self, obj: IntegrationLog) -> str:
        # 1C entity sets are Cyrillic: percent-encoded they are unreadable and three times longer.
        return short(unquote(obj.endpoint or ""), 60)

    @admin.display(description="Error")
    def short_error(self, obj: IntegrationLog) -> str:
        return short(obj.error_message, 60)

    @admin.display(description="Request")
    def request_pretty(self, obj: IntegrationLog) -> str:
        return pretty_json(obj.request_data, redact_keys=True)

    @admin.display(description="Response")
    def response_pretty(self, obj: IntegrationLog) -> str:
        return pretty_json(obj.response_data, redact_keys=True)

    @admin.display(description="Metadata")
    def metadata_pretty(self, obj: IntegrationLog) -> str:
        return pretty_json(obj.metadata)
