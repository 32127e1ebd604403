"""Admin screens for integrations and their logs.

Secrets are entered through write-only password inputs and shown only as "set" / "not set". Other
apps add operator actions to the integration list with ``register_integration_action`` (the sync
engine adds "test connection" and "trigger sync", the webhook pipeline "rotate webhook secret").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from integrations.models import SECRET_FIELDS, Integration, IntegrationLog, json_contains_nul
from integrations.redaction import mask_config, unmask_config
from integrations.services import integration_create, integration_delete, integration_update
from vendhub_integrations.admin_utils import pretty_json, short

_extra_actions: list[Callable[..., Any]] = []


def register_integration_action(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add an admin action (a function decorated with ``@admin.action``) to the integration list."""
    if function not in _extra_actions:
        _extra_actions.append(function)
    return function


class IntegrationAdminForm(forms.ModelForm):
    """The model's fields plus write-only inputs for each secret and a box to clear it."""

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
        return [("live", "Live"), ("deleted", "Deleted"), ("all", "All")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=True)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationAdminForm
    list_display = [
        "name",
        "code",
        "type",
        "provider",
        "status",
        "secrets_set",
        "auto_sync_enabled",
        "sync_interval_minutes",
        "last_sync_at",
        "next_sync_at",
        "last_error",
        "updated_at",
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
        "secret_status",
        "last_sync_at",
        "config_pretty",
        "metadata_pretty",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    fieldsets = [
        (None, {"fields": ["id", "name", "code", "type", "provider", "status", "description"]}),
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
        ("Configuration", {"fields": ["config", "config_pretty"]}),
        ("Metadata", {"classes": ["collapse"], "fields": ["metadata", "metadata_pretty"]}),
        ("Audit", {"fields": ["created_at", "updated_at", "deleted_at"]}),
    ]
    actions = ["soft_delete_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Integration]:
        return Integration.all_objects.all()

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        for function in _extra_actions:
            name = function.__name__
            actions[name] = (
                function,
                name,
                getattr(function, "short_description", name.replace("_", " ")),
            )
        return actions

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

    @admin.display(description="Last error")
    def last_error(self, obj: Integration) -> str:
        metadata = obj.metadata or {}
        return short(metadata.get("error_reason") or metadata.get("last_test_message"), 60)

    @admin.display(description="Config (formatted)")
    def config_pretty(self, obj: Integration) -> str:
        return pretty_json(mask_config(obj.config or {}))

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
class IntegrationLogAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The record of every call in and out: the API cannot delete it and neither can the admin.
        return False

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
