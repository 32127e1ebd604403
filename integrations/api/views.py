"""Integrations API: CRUD with soft delete, connection test; integration logs.

Endpoints of other apps under ``integrations/<id>/`` live in those apps' ``api/urls.py``
(``…/sync`` in syncjobs, ``…/rotate-webhook-secret`` in webhooks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api.pagination import KeysetPagination
from core.api.permissions import request_actor
from integrations.api.serializers import (
    AlertSerializer,
    ConnectionTestResultSerializer,
    ErrorSerializer,
    IntegrationLogSerializer,
    IntegrationSerializer,
)
from integrations.filters import AlertFilter, IntegrationFilter, IntegrationLogFilter
from integrations.models import Integration, IntegrationLog
from integrations.selectors import alert_list_told
from integrations.services import integration_create, integration_delete, integration_update
from integrations.services.connection import integration_test_connection


@contextmanager
def _service_errors_as_400() -> Iterator[None]:
    """The service's ValidationError (a rule of the model) as DRF's 400 naming each field."""
    try:
        yield
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from None


_ERRORS = {
    400: OpenApiResponse(description="Invalid input: the body names each field in error."),
    403: OpenApiResponse(ErrorSerializer, description="No or bad API key."),
    404: OpenApiResponse(ErrorSerializer, description="No such integration (or deleted)."),
}


@extend_schema_view(
    list=extend_schema(
        summary="List integrations", responses={200: IntegrationSerializer, 403: _ERRORS[403]}
    ),
    retrieve=extend_schema(summary="Get an integration"),
    create=extend_schema(
        summary="Create an integration", responses={201: IntegrationSerializer, **_ERRORS}
    ),
    update=extend_schema(
        summary="Replace an integration", responses={200: IntegrationSerializer, **_ERRORS}
    ),
    partial_update=extend_schema(
        summary="Update an integration", responses={200: IntegrationSerializer, **_ERRORS}
    ),
    destroy=extend_schema(summary="Delete (soft) an integration", responses={204: None, **_ERRORS}),
)
class IntegrationViewSet(viewsets.ModelViewSet):
    queryset = Integration.objects.all()
    serializer_class = IntegrationSerializer
    filterset_class = IntegrationFilter
    search_fields = ["name", "code", "provider", "description"]
    ordering_fields = ["name", "code", "created_at", "updated_at", "last_sync_at", "next_sync_at"]

    def perform_create(self, serializer: BaseSerializer[Integration]) -> None:
        with _service_errors_as_400():
            serializer.instance = integration_create(
                data=dict(serializer.validated_data), actor=request_actor(self.request)
            )

    def perform_update(self, serializer: BaseSerializer[Integration]) -> None:
        assert serializer.instance is not None  # an update has the row it updates
        with _service_errors_as_400():
            serializer.instance = integration_update(
                integration=serializer.instance,
                data=dict(serializer.validated_data),
                actor=request_actor(self.request),
            )

    def perform_destroy(self, instance: Integration) -> None:
        integration_delete(integration=instance)

    @extend_schema(
        summary="Test the connection",
        request=None,
        responses={200: ConnectionTestResultSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        result = integration_test_connection(integration=self.get_object())
        return Response(ConnectionTestResultSerializer(result).data)


@extend_schema_view(
    list=extend_schema(summary="List integration logs"),
    retrieve=extend_schema(summary="Get an integration log entry"),
)
class IntegrationLogViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = IntegrationLog.objects.all()
    pagination_class = KeysetPagination
    serializer_class = IntegrationLogSerializer
    filterset_class = IntegrationLogFilter
    search_fields = ["endpoint", "action", "error_message"]
    ordering_fields = ["created_at", "status_code", "duration_ms"]


@extend_schema_view(
    list=extend_schema(
        summary="List alerts",
        description="What operators were told through the notification channels, newest first.",
    ),
    retrieve=extend_schema(summary="Get an alert"),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Alerts not yet tried are not listed (see alert_list_told).
    queryset = alert_list_told()
    pagination_class = KeysetPagination
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    search_fields = ["message", "error_message"]
    ordering_fields = ["created_at", "sent_at", "count"]
