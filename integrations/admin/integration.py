"""The integration's admin: list, health and history on its page, writes through the services
(the delete is soft), and the actions and buttons other apps register.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.api.permissions import request_actor
from integrations.admin.actions import _extra_actions
from integrations.admin.base import ObjectButton, ObjectButtonsMixin, pretty_json, short
from integrations.admin.filters import DeletedFilter, HasSecretFilter
from integrations.admin.forms import IntegrationAdminForm
from integrations.admin.secret_changes import secret_changes_table
from integrations.models import SECRET_FIELDS, Integration, IntegrationStatus
from integrations.services import integration_create, integration_delete, integration_update

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _when(iso: Any) -> str:
    """' at 2025-02-10 12:00:05' in the admin's time zone, from a time kept in metadata (or a
    datetime)."""
    moment = (
        iso if isinstance(iso, datetime) else parse_datetime(iso) if isinstance(iso, str) else None
    )
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return f" at {timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


@admin.register(Integration)
class IntegrationAdmin(ObjectButtonsMixin, admin.ModelAdmin):
    form = IntegrationAdminForm
    list_display = [
        "name",
        "code",
        "type",
        "provider",
        "status",
        "secrets_set",
        "schedule",
        "last_sync_at",
        "last_test_ok",
        "last_error",
    ]
    list_filter = [
        "status",
        "type",
        "provider",
        "auto_sync_enabled",
        HasSecretFilter,
        DeletedFilter,
    ]
    search_fields = ["name", "code", "provider", "description"]
    ordering = ["name"]
    readonly_fields = [
        "id",
        "health",
        "related",
        "secret_status",
        "secret_changes",
        "last_sync_at",
        "metadata_pretty",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    fieldsets = [
        (None, {"fields": ["id", "name", "code", "type", "provider", "status", "description"]}),
        ("Health", {"fields": ["health", "related"]}),
        ("Connection", {"fields": ["api_endpoint", "webhook_url"]}),
        (
            "Credentials (write-only, stored encrypted)",
            {
                "fields": [
                    "secret_status",
                    ("api_key_input", "clear_api_key"),
                    ("api_secret_input", "clear_api_secret"),
                    ("webhook_secret_input", "clear_webhook_secret"),
                    "secret_changes",
                ]
            },
        ),
        (
            "Sync",
            {
                "fields": [
                    "auto_sync_enabled",
                    "sync_interval_minutes",
                    "last_sync_at",
                    "next_sync_at",
                ]
            },
        ),
        ("Configuration", {"fields": ["config"]}),
        ("Metadata", {"classes": ["collapse"], "fields": ["metadata", "metadata_pretty"]}),
        ("Audit", {"fields": ["created_at", "updated_at", "deleted_at"]}),
    ]
    actions = ["soft_delete_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Integration]:
        return Integration.all_objects.all()

    def get_fieldsets(self, request: HttpRequest, obj: Integration | None = None) -> list:
        if obj is not None:
            return self.fieldsets
        # Adding: no id yet (the one a blank form would show is not the one saved), no health,
        # history or stored secrets, nothing to clear.
        credentials = [("api_key_input",), ("api_secret_input",), ("webhook_secret_input",)]
        hidden = {"id", "last_sync_at", "metadata", "metadata_pretty"}
        fieldsets: list[tuple[StrOrPromise | None, dict[str, Any]]] = []
        for title, options in self.fieldsets:
            if title in ("Health", "Audit"):
                continue
            if title and title.startswith("Credentials"):
                fieldsets.append((title, {**options, "fields": credentials}))
                continue
            fields = [name for name in options["fields"] if name not in hidden]
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        for function in _extra_actions:
            # The same rule Django applies to the admin's own actions: every permission named
            # in @admin.action(permissions=[...]) must be held.
            required = getattr(function, "allowed_permissions", ())
            if not all(getattr(self, f"has_{name}_permission")(request) for name in required):
                continue
            name = function.__name__
            actions[name] = (
                function,
                name,
                getattr(function, "short_description", name.replace("_", " ")),
            )
        return actions

    def object_buttons(self, request: HttpRequest) -> list[ObjectButton]:
        return [
            ObjectButton(
                name=function.__name__,
                label=getattr(function, "button_label", ""),
                action=function.__name__,
                run=self._action_runner(function),
                applies=lambda integration: integration.deleted_at is None,
                confirm=getattr(function, "button_confirm", ""),
            )
            for function in _extra_actions
            if getattr(function, "button_label", "")
        ]

    def _action_runner(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """The list action on a queryset of this one integration: the button's only path."""

        def run(request: HttpRequest, integration: Integration) -> Any:
            return function(self, request, self.get_queryset(request).filter(pk=integration.pk))

        return run

    @admin.display(description="Secrets")
    def secrets_set(self, obj: Integration) -> str:
        labels = {"api_key": "key", "api_secret": "secret", "webhook_secret": "webhook"}
        present = [label for name, label in labels.items() if obj.has_secret(name)]
        return ", ".join(present) or "—"

    @admin.display(description="Stored secrets")
    def secret_status(self, obj: Integration) -> str:
        if not obj.pk:
            return "—"
        return "; ".join(
            f"{name}: {'set' if obj.has_secret(name) else 'not set'}" for name in SECRET_FIELDS
        )

    @admin.display(description="Auto sync", ordering="sync_interval_minutes")
    def schedule(self, obj: Integration) -> str:
        if not obj.auto_sync_enabled or not obj.sync_interval_minutes:
            return "off"
        text = f"every {obj.sync_interval_minutes} min"
        if obj.status != IntegrationStatus.ACTIVE:
            # The scheduler runs active integrations only.
            return f"{text}, paused while {obj.status}"
        if obj.next_sync_at:
            text += f", next {timezone.localtime(obj.next_sync_at):%Y-%m-%d %H:%M}"
        return text

    @admin.display(description="Last test", boolean=True)
    def last_test_ok(self, obj: Integration) -> bool | None:
        metadata = obj.metadata or {}
        if metadata.get("last_test_testable") is False:
            return None  # nothing could be tested: neither passed nor failed
        return metadata.get("last_test_ok")

    @admin.display(description="Last error")
    def last_error(self, obj: Integration) -> str:
        """Why the integration is in error, else the failed last test; a passed test is no error."""
        metadata = obj.metadata or {}
        if obj.status == IntegrationStatus.ERROR and metadata.get("error_reason"):
            return short(metadata["error_reason"], 60)
        if (
            metadata.get("last_test_ok") is False
            and metadata.get("last_test_testable") is not False
        ):
            return short(metadata.get("last_test_message"), 60)
        return ""

    @admin.display(description="Health")
    def health(self, obj: Integration) -> str:
        if not obj.pk:
            return "—"
        metadata = obj.metadata or {}
        lines = []
        if obj.status == IntegrationStatus.ERROR:
            since = _when(metadata.get("error_at"))
            reason = metadata.get("error_reason") or "no reason recorded"
            lines.append(format_html("<strong>In error</strong>{}: {}", since, reason))
        if metadata.get("last_test_at"):
            if metadata.get("last_test_testable") is False:
                verdict = "not possible"
            else:
                verdict = "passed" if metadata.get("last_test_ok") else "FAILED"
            lines.append(
                format_html(
                    "Last connection test {}{}: {}",
                    verdict,
                    _when(metadata.get("last_test_at")),
                    metadata.get("last_test_message") or "",
                )
            )
        else:
            lines.append(format_html("{}", "Connection never tested."))
        job_id = metadata.get("last_sync_job_id")
        if job_id:
            url = reverse("admin:syncjobs_syncjob_change", args=[job_id])
            lines.append(format_html('Last successful sync: <a href="{}">job {}</a>', url, job_id))
        until = obj.previous_webhook_secret_expires_at
        if until is not None and until > timezone.now():
            lines.append(format_html("Previous webhook secret accepted until{}", _when(until)))
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description="History")
    def related(self, obj: Integration) -> str:
        if not obj.pk:
            return "—"
        links = [
            ("webhooks_webhook", "Webhooks"),
            ("syncjobs_syncjob", "Sync jobs"),
            ("syncjobs_syncedrecord", "Synced records"),
            ("integrations_integrationlog", "Logs"),
        ]
        return format_html_join(
            " · ",
            '<a href="{}?integration__id__exact={}">{}</a>',
            ((reverse(f"admin:{name}_changelist"), obj.pk, label) for name, label in links),
        )

    @admin.display(description="Secret changes")
    def secret_changes(self, obj: Integration) -> str:
        return secret_changes_table(obj)

    @admin.display(description="Metadata (formatted)")
    def metadata_pretty(self, obj: Integration) -> str:
        return pretty_json(obj.metadata or {})

    def save_model(self, request: HttpRequest, obj: Integration, form: Any, change: bool) -> None:
        data = form.service_data()
        if change:
            fresh = Integration.all_objects.get(pk=obj.pk)
            saved = integration_update(integration=fresh, data=data, actor=request_actor(request))
        else:
            saved = integration_create(data=data, actor=request_actor(request))
        obj.pk = saved.pk

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        # The delete is soft: the webhooks, jobs and logs (PROTECTed foreign keys) are kept, so
        # they neither block the confirmation page nor appear as deleted on it.
        return (
            [str(obj) for obj in objs],
            # Keyed by verbose_name_plural (a lazy string) as Django's own counts are; the stub
            # says str.
            {Integration._meta.verbose_name_plural: len(objs)},  # type: ignore[dict-item]
            set(),
            [],
        )

    def delete_model(self, request: HttpRequest, obj: Integration) -> None:
        integration_delete(integration=obj)

    @admin.action(
        description="Delete selected integrations (soft: history stays)", permissions=["delete"]
    )
    def soft_delete_selected(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        count = 0
        for integration in queryset.filter(deleted_at__isnull=True):
            integration_delete(integration=integration)
            count += 1
        self.message_user(request, f"Deleted {count} integration(s) at {timezone.now():%H:%M:%S}.")
