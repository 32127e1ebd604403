"""Sync jobs API: start one for an integration, list, get, cancel; synced records: list, get."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import Conflict
from core.api.pagination import KeysetPagination
from integrations.models import Integration
from syncjobs.api.serializers import (
    ConflictSerializer,
    SyncedRecordSerializer,
    SyncJobSerializer,
    SyncRequestSerializer,
)
from syncjobs.filters import SyncedRecordFilter, SyncJobFilter
from syncjobs.models import SyncedRecord, SyncJob
from syncjobs.services import (
    SyncJobAlreadyActive,
    SyncJobConflict,
    SyncJobInvalid,
    sync_job_cancel,
    sync_job_create,
)


@extend_schema_view(
    list=extend_schema(summary="List sync jobs"),
    retrieve=extend_schema(summary="Get a sync job"),
)
class SyncJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = SyncJob.objects.all()
    pagination_class = KeysetPagination
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
            raise Conflict(str(error), status=job.status) from None
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


class IntegrationSyncView(APIView):
    """``POST /api/integrations/<id>/sync``: a sync job for one integration."""

    @extend_schema(
        summary="Start a manual sync",
        request=SyncRequestSerializer,
        responses={
            202: OpenApiResponse(SyncJobSerializer, description="The new sync job (pending)."),
            409: OpenApiResponse(
                ConflictSerializer,
                description="A job is already pending or running (its id is in active_job_id), "
                "or the integration is inactive.",
            ),
            400: OpenApiResponse(description="Unknown job type or entity: names the field."),
            404: OpenApiResponse(description="No such integration (or deleted)."),
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        integration = get_object_or_404(Integration.objects.all(), pk=pk)
        serializer = SyncRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            job = sync_job_create(
                integration=integration,
                job_type=serializer.validated_data.get("job_type") or "manual_sync",
                requested_by="api",
            )
        except SyncJobAlreadyActive as error:
            active_id = str(error.active_job_id) if error.active_job_id else None
            raise Conflict(str(error), active_job_id=active_id) from None
        except SyncJobConflict as error:
            raise Conflict(str(error)) from None
        except SyncJobInvalid as error:
            raise ValidationError({"job_type": [str(error)]}) from None
        return Response(SyncJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
