"""Serializers of the integrations API. Secrets go in, only ``has_*`` flags come out."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import (
    DateTimeField,
    JSONObjectField,
    StrictBooleanField,
    StrictCharField,
    StrictRegexField,
)
from integrations.models import (
    Alert,
    Integration,
    IntegrationLog,
)
from integrations.redaction import unmask_config
from integrations.selectors import (
    ALERT_API_STATUSES,
    alert_status_shown,
    integration_config_shown,
)


def _secret_field(label: str) -> serializers.CharField:
    return StrictCharField(
        write_only=True,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        max_length=4096,
        style={"input_type": "password"},
        help_text=f'{label}: write-only, stored encrypted. Omit to keep, null or "" to clear.',
    )


class IntegrationSerializer(serializers.ModelSerializer):
    # Text fields take JSON strings only (DRF would store the text of a number).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictCharField,
    }
    api_key = _secret_field("API key")
    api_secret = _secret_field("API secret")
    webhook_secret = _secret_field("Webhook secret")
    has_api_key = serializers.BooleanField(read_only=True)
    has_api_secret = serializers.BooleanField(read_only=True)
    has_webhook_secret = serializers.BooleanField(read_only=True)
    last_sync_at = DateTimeField(required=False, allow_null=True)
    next_sync_at = DateTimeField(required=False, allow_null=True)
    auto_sync_enabled = StrictBooleanField(required=False)
    # The model strips it: a provider of spaces alone is blank, and the schema says so.
    provider = StrictRegexField(r"\S", max_length=64)
    config = JSONObjectField(required=False)
    metadata = JSONObjectField(required=False)

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "code",
            "type",
            "provider",
            "status",
            "description",
            "api_endpoint",
            "api_key",
            "api_secret",
            "webhook_url",
            "webhook_secret",
            "has_api_key",
            "has_api_secret",
            "has_webhook_secret",
            "sync_interval_minutes",
            "last_sync_at",
            "next_sync_at",
            "auto_sync_enabled",
            "config",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness of code among live integrations is a rule of the model, which the service
        # checks; the serializer only shapes input.
        validators: list = []

    def validate_config(self, value: Any) -> Any:
        # Shaping only: the secrets a client sent back masked are put back. The rules (an
        # object, no NUL, the known keys' types) are the model's, reported by the service.
        return unmask_config(value, self.instance.config if self.instance is not None else {})

    def to_representation(self, instance: Integration) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["config"] = integration_config_shown(instance)
        return data


class IntegrationLogSerializer(serializers.ModelSerializer):
    integration_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = IntegrationLog
        fields = [
            "id",
            "integration_id",
            "action",
            "direction",
            "endpoint",
            "request_data",
            "response_data",
            "status_code",
            "duration_ms",
            "error_message",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_field(serializers.ChoiceField(choices=ALERT_API_STATUSES))
class AlertStatusField(serializers.Field):
    """``sent`` or ``failed`` (a failed alert still being retried included)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Alert) -> str:
        return alert_status_shown(value)


class AlertSerializer(serializers.ModelSerializer):
    channel_id = serializers.UUIDField(read_only=True)
    integration_id = serializers.UUIDField(read_only=True, allow_null=True)
    status = AlertStatusField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "channel_id",
            "event",
            "integration_id",
            "count",
            "message",
            "status",
            "error_message",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class ConnectionTestResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
