"""Sync jobs API: list and get."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from syncjobs.api.serializers import SyncJobSerializer
from syncjobs.filters import SyncJobFilter
from syncjobs.models import SyncJob


@extend_schema_view(
    list=extend_schema(summary="List sync jobs"),
    retrieve=extend_schema(summary="Get a sync job"),
)
class SyncJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = SyncJob.objects.all()
    serializer_class = SyncJobSerializer
    filterset_class = SyncJobFilter
    ordering_fields = ["created_at", "started_at", "completed_at"]
