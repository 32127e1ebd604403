"""Admin screens for integrations and their logs.

Secrets are entered through write-only password inputs and shown only as "set" / "not set". Other
apps add operator actions to the integration list with ``register_integration_action`` (the sync
engine adds "test connection" and "trigger sync", the webhook pipeline "rotate webhook secret");
an action registered with a ``button`` label is also a button on the integration's page, which
runs the same action on that one integration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any
from urllib.parse import unquote

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.fields import InvalidJSONInput
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from integrations.models import (
    SECRET_FIELDS,
    Integration,
    IntegrationLog,
    IntegrationStatus,
    json_contains_nul,
)
from integrations.redaction import mask_config, unmask_config
from integrations.services import integration_create, integration_delete, integration_update
from vendhub_integrations.admin_utils import (
    HistoryAdmin,
    ObjectButton,
    ObjectButtonsMixin,
    pretty_json,
    short,
)

_extra_actions: list[Callable[..., Any]] = []


def _when(iso: Any) -> str:
    """' at 2025-02-10 12:00:05' in the admin's time zone, from a time kept in metadata."""
    moment = parse_datetime(iso) if isinstance(iso, str) else None
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return f" at {timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


def register_integration_action(
    function: Callable[..., Any] | None = None, *, button: str = "", confirm: str = ""
) -> Any:
    """Add an admin action (a function decorated with ``@admin.action``) to the integration list.

    With ``button`` (its label) the action is also a button on a live integration's page, run on
    that integration alone; with ``confirm`` too, the button first shows that text and asks."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        function.button_label = button  # type: ignore[attr-defined]
        function.button_confirm = confirm  # type: ignore[attr-defined]
        if function not in _extra_actions:
            _extra_actions.append(function)
        return function

    return register(function) if function is not None else register


class PrettyJSONField(forms.JSONField):
    """A JSON textarea that shows its value indented, one key a line, Cyrillic as it is."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


class IntegrationAdminForm(forms.ModelForm):
    """The model's fields plus write-only inputs for each secret and a box to clear it."""

    config = PrettyJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "spellcheck": "false"}),
        help_text='A JSON object. Secrets kept here show as "[REDACTED]": leave them to keep them.',
    )
    metadata = PrettyJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80, "spellcheck": "false"}),
        help_text="A JSON object; the hub keeps its last test and error here.",
    )

    api_key_input = forms.CharField(
        label="API key",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave empty to keep the current value.",
    )
    clear_api_key = forms.BooleanField(label="Clear API key", required=False)
    api_secret_input = forms.CharField(
        label="API secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave empty to keep the current value.",
    )
    clear_api_secret = forms.BooleanField(label="Clear API secret", required=False)
    webhook_secret_input = forms.CharField(
        label="Webhook secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Replaces the secret at once; use the rotate action for an overlap.",
    )
    clear_webhook_secret = forms.BooleanField(label="Clear webhook secret", required=False)

    class Meta:
        model = Integration
        fields = [
            "name",
            "code",
            "type",
            "provider",
            "status",
            "description",
            "api_endpoint",
            "webhook_url",
            "sync_interval_minutes",
            "auto_sync_enabled",
            "next_sync_at",
            "config",
            "metadata",
        ]
        labels = {"api_endpoint": "API endpoint", "webhook_url": "Webhook URL"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The form shows config with its secrets masked; clean_config puts them back.
        if self.instance.pk and isinstance(self.initial.get("config"), dict):
            self.initial["config"] = mask_config(self.initial["config"])

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        taken = Integration.objects.filter(code=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("An integration with this code already exists.")
        return code

    def clean_provider(self) -> str:
        return self.cleaned_data["provider"].strip().lower()

    def _clean_object(self, name: str) -> dict:
        # As in the API: everything downstream reads config and metadata as objects.
        value = self.cleaned_data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValidationError("Must be a JSON object.")
        if json_contains_nul(value):
            raise ValidationError("Null characters are not allowed.")
        return value

    def clean_config(self) -> dict:
        stored = self.instance.config if self.instance.pk else {}
        return unmask_config(self._clean_object("config"), stored)

    def clean_metadata(self) -> dict:
        return self._clean_object("metadata")

    def secret_changes(self) -> dict[str, str | None]:
        """The secrets the operator set or cleared, for the service."""
        changes: dict[str, str | None] = {}
        for name in SECRET_FIELDS:
            if self.cleaned_data.get(f"clear_{name}"):
                changes[name] = None
            elif self.cleaned_data.get(f"{name}_input"):
                changes[name] = self.cleaned_data[f"{name}_input"]
        return changes


class HasSecretFilter(admin.SimpleListFilter):
    title = "webhook secret"
    parameter_name = "has_webhook_secret"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Set"), ("no", "Not set")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(webhook_secret__isnull=self.value() == "no")
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("deleted", "Deleted"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        # Without a choice the list shows live integrations only: that choice is "Live", not the
        # usual "All" (which would read as live and deleted).
        yield {
            "selected": self.value() in (None, "live"),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Live",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=True)


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
        fieldsets = []
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
                label=function.button_label,
                action=function.__name__,
                run=self._action_runner(function),
                applies=lambda integration: integration.deleted_at is None,
                confirm=function.button_confirm,
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
        return (obj.metadata or {}).get("last_test_ok")

    @admin.display(description="Last error")
    def last_error(self, obj: Integration) -> str:
        """Why the integration is in error, else the failed last test; a passed test is no error."""
        metadata = obj.metadata or {}
        if obj.status == IntegrationStatus.ERROR and metadata.get("error_reason"):
            return short(metadata["error_reason"], 60)
        if metadata.get("last_test_ok") is False:
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
        expires = (obj.config or {}).get("previous_webhook_secret_expires_at")
        until = parse_datetime(expires) if isinstance(expires, str) else None
        if until is not None and timezone.is_aware(until) and until > timezone.now():
            lines.append(format_html("Previous webhook secret accepted until{}", _when(expires)))
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

    @admin.display(description="Metadata (formatted)")
    def metadata_pretty(self, obj: Integration) -> str:
        return pretty_json(obj.metadata or {})

    def save_model(self, request: HttpRequest, obj: Integration, form: Any, change: bool) -> None:
        # IntegrationAdminForm's own list: the form the admin builds from the fieldsets also
        # lists the write-only inputs and clear boxes, which are not model fields.
        data = {
            name: form.cleaned_data[name]
            for name in IntegrationAdminForm.Meta.fields
            if name in form.cleaned_data
        }
        data.update(form.secret_changes())
        if change:
            fresh = Integration.all_objects.get(pk=obj.pk)
            saved = integration_update(integration=fresh, data=data)
        else:
            saved = integration_create(data=data)
        obj.pk = saved.pk

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        # The delete is soft: the webhooks, jobs and logs (PROTECTed foreign keys) are kept, so
        # they neither block the confirmation page nor appear as deleted on it.
        return (
            [str(obj) for obj in objs],
            {Integration._meta.verbose_name_plural: len(objs)},
            set(),
            [],
        )

    def delete_model(self, request: HttpRequest, obj: Integration) -> None:
        integration_delete(integration=obj)

    @admin.action(description="Delete selected integrations (soft: history stays)")
    def soft_delete_selected(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        count = 0
        for integration in queryset.filter(deleted_at__isnull=True):
            integration_delete(integration=integration)
            count += 1
        self.message_user(request, f"Deleted {count} integration(s) at {timezone.now():%H:%M:%S}.")


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
