"""The record of secret changes in the admin: a read-only list, and a table on the integration's
page. Only who, when, which field and how are kept; the values never are."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from integrations.admin.base import HistoryAdmin
from integrations.models import Integration, SecretChange


@admin.register(SecretChange)
class SecretChangeAdmin(HistoryAdmin):
    list_display = ["changed_at", "integration_code", "field", "action", "actor"]
    list_filter = [
        ("integration", admin.RelatedOnlyFieldListFilter),
        "field",
        "action",
        "changed_at",
    ]
    search_fields = ["integration__code", "integration__name", "actor", "field"]
    list_select_related = ["integration"]
    date_hierarchy = "changed_at"
    readonly_fields = ["id", "integration", "field", "action", "actor", "changed_at"]

    @admin.display(description="Integration", ordering="integration__code")
    def integration_code(self, obj: SecretChange) -> str:
        return obj.integration.code


# Rows shown on an integration's page; the full record is the list, filtered to it.
_SHOWN_ON_PAGE = 20


def secret_changes_table(integration: Integration) -> str:
    """The integration page's record of secret changes, newest first: a read-only table (not a
    formset, so saving the page posts nothing about it) with a link to the whole list."""
    if not integration.pk:
        return "—"
    changes = list(
        SecretChange.objects.filter(integration=integration).order_by("-changed_at")[
            : _SHOWN_ON_PAGE + 1
        ]
    )
    if not changes:
        return "No secret has been set or changed yet."
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                timezone.localtime(change.changed_at).strftime("%Y-%m-%d %H:%M:%S"),
                change.field,
                change.get_action_display(),
                change.actor,
            )
            for change in changes[:_SHOWN_ON_PAGE]
        ),
    )
    url = reverse("admin:integrations_secretchange_changelist")
    return format_html(
        '<table class="vh-secret-changes"><thead><tr><th>When</th><th>Field</th><th>Change</th>'
        "<th>Who</th></tr></thead><tbody>{}</tbody></table>"
        '<p><a href="{}?integration__id__exact={}">All secret changes of this integration</a></p>',
        rows,
        url,
        integration.pk,
    )
