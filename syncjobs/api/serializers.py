"""Serializers of the sync jobs API."""

from rest_framework import serializers

from syncjobs.models import SyncJob


class SyncJobSerializer(serializers.ModelSerializer):
    integration_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = SyncJob
        fields = [
            "id",
            "integration_id",
            "job_type",
            "status",
            "started_at",
            "completed_at",
            "records_processed",
            "records_created",
            "records_updated",
            "records_failed",
            "error_message",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
