"""Serializers of the webhooks API."""

from rest_framework import serializers

from webhooks.models import Webhook


class WebhookSerializer(serializers.ModelSerializer):
    integration_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Webhook
        fields = [
            "id",
            "integration_id",
            "event_type",
            "source",
            "external_id",
            "payload",
            "headers",
            "status",
            "processed_at",
            "retry_count",
            "max_retries",
            "next_retry_at",
            "error_message",
            "signature",
            "signature_verified",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
