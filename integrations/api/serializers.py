"""Serializers of the integrations API. Secrets go in, only ``has_*`` flags come out."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from integrations.models import (
    CODE_PATTERN,
    SECRET_FIELDS,
    Integration,
    IntegrationLog,
    json_contains_nul,
)
from integrations.redaction import mask_config, unmask_config


def _secret_field(label: str) -> serializers.CharField:
    return serializers.CharField(
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
    api_key = _secret_field("API key")
    api_secret = _secret_field("API secret")
    webhook_secret = _secret_field("Webhook secret")
    has_api_key = serializers.BooleanField(read_only=True)
    has_api_secret = serializers.BooleanField(read_only=True)
    has_webhook_secret = serializers.BooleanField(read_only=True)

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
        # Uniqueness of code among live integrations is checked in validate_code (and by the
        # database constraint, which the service turns into the same 400).
        validators: list = []

    def validate_code(self, value: str) -> str:
        if not re.fullmatch(CODE_PATTERN, value):
            raise serializers.ValidationError(
                "Use 1 to 64 characters: lowercase letters, digits, '_' and '-'."
            )
        taken = Integration.objects.filter(code=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("An integration with this code already exists.")
        return value

    def validate_provider(self, value: str) -> str:
        value = value.strip().lower()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_api_endpoint(self, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise serializers.ValidationError("Enter an absolute http:// or https:// URL.")
        return value

    def _validate_object(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if json_contains_nul(value):
            # PostgreSQL's jsonb cannot store \u0000: without this check the save is a 500.
            raise serializers.ValidationError("Null characters are not allowed.")
        return value

    def validate_config(self, value: Any) -> dict:
        value = self._validate_object(value)
        return unmask_config(value, self.instance.config if self.instance is not None else {})

    def validate_metadata(self, value: Any) -> dict:
        return self._validate_object(value)

    def to_representation(self, instance: Integration) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["config"] = mask_config(data.get("config"))
        return data

    def create(self, validated_data: dict[str, Any]) -> Integration:
        from integrations.services import integration_create

        for name in SECRET_FIELDS:
            if validated_data.get(name) == "":
                validated_data[name] = None
        return integration_create(data=validated_data)

    def update(self, instance: Integration, validated_data: dict[str, Any]) -> Integration:
        from integrations.services import integration_update

        return integration_update(integration=instance, data=validated_data)


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


class ConnectionTestResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
