"""Sync jobs API: list, get, cancel; synced records: list and get."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from syncjobs.api.serializers import ConflictSerializer, SyncedRecordSerializer, SyncJobSerializer
from syncjobs.filters import SyncedRecordFilter, SyncJobFilter
from syncjobs.models import SyncedRecord, SyncJob
from syncjobs.services import SyncJobConflict, sync_job_cancel


@extend_schema_view(
    list=extend_schema(summary="List sync jobs"),
    retrieve=extend_schema(summary="Get a sync job"),
)
class SyncJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = SyncJob.objects.all()
    serializer_class = SyncJobSerializer
    filterset_class = SyncJobFilter
    ordering_fields = ["created_at", "started_at", "completed_at"]

    @extend_schema(
        summary="Cancel a sync job",
        request=None,
        responses={
            200: SyncJobSerializer,
            404: OpenApiResponse(description="No such job."),
            409: OpenApiResponse(ConflictSerializer, description="The job already finished."),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()
        try:
            job = sync_job_cancel(job=job)
        except SyncJobConflict as error:
            return Response(
                {"detail": str(error), "status": job.status}, status=status.HTTP_409_CONFLICT
            )
        return Response(SyncJobSerializer(job).data)


@extend_schema_view(
    list=extend_schema(summary="List synced records"),
    retrieve=extend_schema(summary="Get a synced record"),
)
class SyncedRecordViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = SyncedRecord.objects.all()
    serializer_class = SyncedRecordSerializer
    filterset_class = SyncedRecordFilter
    search_fields = ["external_id"]
    ordering_fields = ["entity", "external_id", "first_synced_at", "last_synced_at"]
