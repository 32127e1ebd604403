"""The integration's admin form: the model's fields, config and metadata as indented JSON with
config's secrets masked, and write-only inputs for each secret with a box to clear it.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.forms.models import construct_instance

from integrations.models import SECRET_FIELDS, Integration
from integrations.redaction import unmask_config
from integrations.selectors import integration_config_shown
from integrations.services import integration_validate


class PrettyJSONField(forms.JSONField):
    """A JSON textarea that shows its value indented, one key a line, Cyrillic as it is."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


def _secret_input(
    label: str, *, help_text: str = "Write-only. Leave empty to keep the current value."
) -> forms.CharField:
    """A write-only input: never filled in from the stored value, never autofilled."""
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


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

    api_key_input = _secret_input("API key")
    clear_api_key = forms.BooleanField(label="Clear API key", required=False)
    api_secret_input = _secret_input("API secret")
    clear_api_secret = forms.BooleanField(label="Clear API secret", required=False)
    webhook_secret_input = _secret_input(
        "Webhook secret",
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
        if self.instance.pk:
            self.initial["config"] = integration_config_shown(self.instance)

    def clean_config(self) -> Any:
        # Shaping only: masked secrets are put back. The rules are the model's (the form's
        # full_clean and the service run Integration.clean), reported here field by field.
        stored = self.instance.config if self.instance.pk else {}
        value = self.cleaned_data.get("config")
        return {} if value is None else unmask_config(value, stored)

    def clean_metadata(self) -> Any:
        value = self.cleaned_data.get("metadata")
        return {} if value is None else value

    def service_data(self) -> dict[str, Any]:
        """What the service is handed: the model fields of the form, and the secrets set or
        cleared. (The form the admin builds from the fieldsets lists the write-only inputs and
        clear boxes too, which are not model fields: hence this class's own Meta.fields.)"""
        fields = IntegrationAdminForm.Meta.fields
        data = {name: self.cleaned_data[name] for name in fields if name in self.cleaned_data}
        data.update(self.secret_changes())
        return data

    def _post_clean(self) -> None:
        # The rules are the service's: it checks what save_model will hand it, and its errors
        # become this form's field errors (in place of ModelForm's own model validation).
        adding = self.instance._state.adding
        stored = None if adding else Integration.all_objects.get(pk=self.instance.pk)
        try:
            integration_validate(integration=stored, data=self.service_data())
        except ValidationError as error:
            # BaseModelForm's own error merging, absent from the stubs.
            self._update_errors(error)  # type: ignore[attr-defined]
        self.instance = construct_instance(
            self, self.instance, self._meta.fields, self._meta.exclude
        )

    def secret_changes(self) -> dict[str, str | None]:
        """The secrets the operator set or cleared, for the service."""
        changes: dict[str, str | None] = {}
        for name in SECRET_FIELDS:
            if self.cleaned_data.get(f"clear_{name}"):
                changes[name] = None
            elif self.cleaned_data.get(f"{name}_input"):
                changes[name] = self.cleaned_data[f"{name}_input"]
        return changes
