"""Serializers of the webhooks API."""

from rest_framework import serializers

from webhooks.models import Webhook, WebhookAttempt


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
            "attempt_count",
            "next_retry_at",
            "error_message",
            "signature",
            "signature_verified",
            "rejected",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookAttemptSerializer(serializers.ModelSerializer):
    """One processing try: ``status_code`` is the forward's HTTP status (null when nothing was
    forwarded or no answer came), ``duration_ms`` null when the worker died mid-try."""

    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "outcome", "error"]
        read_only_fields = fields


class WebhookAttemptListSerializer(serializers.Serializer):
    results = WebhookAttemptSerializer(many=True)


class ReceivedSerializer(serializers.Serializer):
    """The receive URL's answer: 202 for a new delivery, 200 with ``duplicate`` for a repeat."""

    id = serializers.UUIDField()
    status = serializers.CharField()
    duplicate = serializers.BooleanField(required=False)


class ReceiveErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="invalid_signature, integration_inactive, ...")
    detail = serializers.CharField()
    id = serializers.UUIDField(required=False, help_text="The stored (ignored) row, on a 401.")


class RetryConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.CharField()


class RotateWebhookSecretSerializer(serializers.Serializer):
    webhook_secret = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="The new secret; without it one is generated.",
    )
    overlap_hours = serializers.FloatField(
        required=False,
        default=24,
        min_value=0,
        max_value=24 * 30,
        help_text="How long the previous secret keeps verifying (0: not at all).",
    )


class RotatedWebhookSecretSerializer(serializers.Serializer):
    webhook_secret = serializers.CharField(help_text="The new secret, shown this once.")
    previous_webhook_secret_expires_at = serializers.DateTimeField(allow_null=True)
