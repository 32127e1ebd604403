"""Webhooks API: stored deliveries (list, get, delete, retry, replay, their attempts) and the
rotation of an integration's webhook secret. The public receive URL is ``webhooks.api.receive``."""

from __future__ import annotations

from collections.abc import Callable

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import Conflict
from core.api.pagination import KeysetPagination
from core.api.permissions import request_actor
from core.api.routers import UUID_PATTERN
from integrations.models import Integration
from webhooks.api.serializers import (
    RetryConflictSerializer,
    RotatedWebhookSecretSerializer,
    RotateWebhookSecretSerializer,
    WebhookAttemptListSerializer,
    WebhookAttemptSerializer,
    WebhookSerializer,
)
from webhooks.filters import WebhookFilter
from webhooks.models import Webhook
from webhooks.selectors import webhook_attempt_list
from webhooks.services import (
    WebhookNotReplayable,
    WebhookNotRetryable,
    webhook_replay,
    webhook_retry,
    webhook_secret_rotate,
)

_UUID = UUID_PATTERN


@extend_schema_view(
    list=extend_schema(summary="List webhooks"),
    retrieve=extend_schema(summary="Get a webhook"),
    destroy=extend_schema(summary="Delete a webhook"),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Webhook.objects.all()
    pagination_class = KeysetPagination
    serializer_class = WebhookSerializer
    filterset_class = WebhookFilter
    lookup_value_regex = _UUID
    search_fields = ["event_type", "external_id", "error_message"]
    ordering_fields = ["created_at", "processed_at", "retry_count", "next_retry_at"]

    @extend_schema(
        summary="Retry a webhook",
        description="For failed webhooks and ignored ones not refused at receipt.",
        request=None,
        responses={
            202: WebhookSerializer,
            409: OpenApiResponse(RetryConflictSerializer, description="Not retryable."),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        return self._put_back(webhook_retry, refusal=WebhookNotRetryable)

    @extend_schema(
        summary="Replay a webhook",
        description=(
            "Processes a completed, failed or ignored webhook again (handlers and forward), "
            "keeping its earlier attempts. Not for a webhook refused for its signature at "
            "receipt, nor one pending or processing."
        ),
        request=None,
        responses={
            202: WebhookSerializer,
            404: OpenApiResponse(description="No such webhook."),
            409: OpenApiResponse(
                RetryConflictSerializer,
                description="Refused at receipt, or still pending or processing.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        return self._put_back(webhook_replay, refusal=WebhookNotReplayable)

    def _put_back(self, service: Callable[..., Webhook], *, refusal: type[Exception]) -> Response:
        """202 with the webhook sent to a worker again, or 409 with its current status."""
        webhook = self.get_object()
        try:
            webhook = service(webhook=webhook)
        except refusal as error:
            raise Conflict(str(error), status=webhook.status) from None
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="A webhook's processing attempts",
        description=(
            "One entry per processing try, oldest first, replays included. `status_code` is the "
            "forward's HTTP status (null when nothing was forwarded or no answer came); "
            "`duration_ms` is null for a try whose worker died."
        ),
        responses={
            200: WebhookAttemptListSerializer,
            404: OpenApiResponse(description="No such webhook."),
        },
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def attempts(self, request: Request, pk: str | None = None) -> Response:
        webhook = self.get_object()
        attempts = webhook_attempt_list(webhook=webhook)
        return Response({"results": WebhookAttemptSerializer(attempts, many=True).data})


class RotateWebhookSecretView(APIView):
    """``POST /api/integrations/<id>/rotate-webhook-secret``."""

    @extend_schema(
        summary="Rotate an integration's webhook secret",
        description=(
            "Sets a new webhook secret (generated unless given) and shows it this once; the "
            "previous secret keeps verifying until `previous_webhook_secret_expires_at`."
        ),
        request=RotateWebhookSecretSerializer,
        responses={
            200: RotatedWebhookSecretSerializer,
            404: OpenApiResponse(description="No such integration."),
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        integration = get_object_or_404(Integration.objects.all(), pk=pk)
        serializer = RotateWebhookSecretSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        rotated = webhook_secret_rotate(
            integration=integration,
            new_secret=serializer.validated_data.get("webhook_secret") or None,
            overlap_hours=serializer.validated_data["overlap_hours"],
            actor=request_actor(request),
        )
        body = RotatedWebhookSecretSerializer(
            {
                "webhook_secret": rotated.webhook_secret,
                "previous_webhook_secret_expires_at": rotated.previous_webhook_secret_expires_at,
            }
        ).data
        # Shown once: no cache along the way may keep it.
        return Response(body, headers={"Cache-Control": "no-store"})
