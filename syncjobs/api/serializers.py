"""Serializers of the sync jobs and synced records API."""

from rest_framework import serializers

from syncjobs.models import SyncedRecord, SyncJob


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


class SyncedRecordSerializer(serializers.ModelSerializer):
    integration_id = serializers.UUIDField(read_only=True)
    last_job_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = SyncedRecord
        fields = [
            "id",
            "integration_id",
            "entity",
            "external_id",
            "data",
            "is_deleted",
            "first_synced_at",
            "last_synced_at",
            "last_job_id",
        ]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    active_job_id = serializers.UUIDField(required=False, allow_null=True)


class SyncRequestSerializer(serializers.Serializer):
    job_type = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=64,
        help_text="manual_sync (default), full_sync, scheduled_sync or sync_<entity>.",
    )
