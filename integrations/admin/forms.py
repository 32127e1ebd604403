"""The integration's admin form: the model's fields, config and metadata as indented JSON with
config's secrets masked, and write-only inputs for each secret with a box to clear it.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from integrations.models import SECRET_FIELDS, Integration, json_contains_nul
from integrations.redaction import mask_config, unmask_config


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
