"""The alerts' admin: what operators were told, on which channel, and whether it arrived."""

from __future__ import annotations

from django.contrib import admin

from integrations.admin.base import HistoryAdmin, short
from integrations.models import Alert


@admin.register(Alert)
class AlertAdmin(HistoryAdmin):
    list_display = [
        "created_at",
        "event",
        "integration_code",
        "channel_code",
        "count",
        "status",
        "sent_at",
        "short_error",
    ]
    list_filter = [
        "status",
        "event",
        ("channel", admin.RelatedOnlyFieldListFilter),
        ("integration", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    search_fields = ["message", "error_message", "integration__code", "channel__code"]
    list_select_related = ["channel", "integration"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "channel",
        "event",
        "integration",
        "count",
        "status",
        "message",
        "error_message",
        "attempts",
        "first_event_at",
        "last_event_at",
        "due_at",
        "created_at",
        "sent_at",
    ]
    exclude = ["group_key", "detail", "not_before", "locked_until"]

    @admin.display(description="Integration", ordering="integration__code")
    def integration_code(self, obj: Alert) -> str:
        return obj.integration.code if obj.integration else "—"

    @admin.display(description="Channel", ordering="channel__code")
    def channel_code(self, obj: Alert) -> str:
        return obj.channel.code

    @admin.display(description="Error")
    def short_error(self, obj: Alert) -> str:
        return short(obj.error_message)
