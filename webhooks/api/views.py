"""Webhooks API: the public receive URL, stored deliveries (list, get, delete, retry) and the
rotation of an integration's webhook secret."""

from __future__ import annotations

import time
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.models import Integration, IntegrationStatus
from integrations.providers import receive_protocol_for
from integrations.selectors import integration_get_live, integration_get_live_versioned
from vendhub_integrations.api.pagination import KeysetPagination
from vendhub_integrations.api.permissions import request_actor
from vendhub_integrations.api.routers import UUID_PATTERN
from webhooks import integration_cache
from webhooks.api.serializers import (
    ReceivedSerializer,
    ReceiveErrorSerializer,
    RetryConflictSerializer,
    RotatedWebhookSecretSerializer,
    RotateWebhookSecretSerializer,
    WebhookSerializer,
)
from webhooks.filters import WebhookFilter
from webhooks.inbound import BodyTooLarge, max_body_bytes, parse_payload, read_body, request_headers
from webhooks.integration_cache import StaleIntegration
from webhooks.models import Webhook
from webhooks.ratelimit import receive_rate_check
from webhooks.services import (
    ReceiveOutcome,
    WebhookNotRetryable,
    webhook_receive,
    webhook_refuse,
    webhook_retry,
    webhook_secret_rotate,
)

# What a sender of an inactive integration is told to wait before it tries again.
INACTIVE_RETRY_AFTER_SECONDS = 300
_UUID = UUID_PATTERN

logger = structlog.get_logger(__name__)


class WebhookReceiveView(APIView):
    """``POST /api/webhooks/receive/<code>``: public; the signature is the authentication."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    # The raw body is read here, in bounded chunks: DRF's parsers would read it whole first.
    parser_classes: list = []

    # DRF calls this with its Request, where Django's View names an HttpRequest.
    def http_method_not_allowed(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        # A gateway's own protocol answers every method itself (Payme: -32300 for a GET, with
        # HTTP 200); ordinary senders get the 405.
        integration = integration_get_live(code=kwargs.get("code", ""))
        if integration is not None and (protocol := receive_protocol_for(integration)):
            return protocol(request._request, integration)
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        summary="Receive a webhook",
        description=(
            "Public endpoint for outside senders. The delivery is verified with the integration's "
            "signature scheme, stored, and answered only after it is committed; processing is "
            "asynchronous."
        ),
        request={"application/json": dict, "application/x-www-form-urlencoded": dict},
        responses={
            202: OpenApiResponse(ReceivedSerializer, description="Stored, pending processing."),
            200: OpenApiResponse(ReceivedSerializer, description="A duplicate delivery."),
            401: OpenApiResponse(ReceiveErrorSerializer, description="Invalid signature."),
            404: OpenApiResponse(description="Unknown or deleted integration code."),
            413: OpenApiResponse(ReceiveErrorSerializer, description="Body too large."),
            429: OpenApiResponse(
                ReceiveErrorSerializer,
                description="Over config.rate_limit_per_minute; nothing stored, see Retry-After.",
            ),
            503: OpenApiResponse(
                ReceiveErrorSerializer,
                description="Integration inactive, or the database unavailable (with Retry-After).",
            ),
        },
    )
    def post(self, request: Request, code: str) -> HttpResponseBase:
        started = time.monotonic()
        http_request = request._request
        body: bytes | None = None
        too_large = False
        entry = integration_cache.cached(code)
        if entry is not None:
            # The common path on a row read by an earlier request, checked as it is stored.
            try:
                body = read_body(http_request)
            except BodyTooLarge:
                too_large = True
            else:
                try:
                    outcome = self._receive(
                        entry.integration, http_request, body, started, cached=entry
                    )
                except StaleIntegration:
                    integration_cache.forget(code)
                else:
                    return self._answer(outcome, code)
            # Anything else is answered from a fresh read; a protocol reading the request
            # itself finds the body already read.
            http_request._body = body if body is not None else b""
        integration, version = integration_get_live_versioned(code=code)
        if integration is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        integration_cache.remember(integration, version)
        protocol = receive_protocol_for(integration)
        if protocol is not None:
            return protocol(http_request, integration)
        headers = request_headers(http_request)
        endpoint = f"POST {http_request.path}"
        if integration.status == IntegrationStatus.INACTIVE:
            outcome = webhook_refuse(
                integration=integration,
                endpoint=endpoint,
                headers=headers,
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                error="integration_inactive",
                reason="the integration is inactive; deliver again later",
                started=started,
                extra_headers={"Retry-After": str(INACTIVE_RETRY_AFTER_SECONDS)},
            )
        elif not (
            rate := receive_rate_check(
                code=integration.code, limit=integration.typed_config.rate_limit_per_minute
            )
        ).allowed:
            outcome = webhook_refuse(
                integration=integration,
                endpoint=endpoint,
                headers=headers,
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                error="rate_limited",
                reason=(
                    f"more than {integration.typed_config.rate_limit_per_minute} receives this "
                    "minute (config.rate_limit_per_minute); deliver again later"
                ),
                started=started,
                extra_headers={"Retry-After": str(rate.retry_after)},
            )
        else:
            if body is None and not too_large:
                try:
                    body = read_body(http_request)
                except BodyTooLarge:
                    too_large = True
            if body is None:  # over WEBHOOK_MAX_BODY_BYTES
                outcome = webhook_refuse(
                    integration=integration,
                    endpoint=endpoint,
                    headers=headers,
                    status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                    error="payload_too_large",
                    reason=f"the body is over {max_body_bytes()} bytes",
                    started=started,
                )
            else:
                outcome = self._receive(integration, http_request, body, started, headers=headers)
        return self._answer(outcome, code)

    @staticmethod
    def _receive(
        integration: Integration,
        http_request: HttpRequest,
        body: bytes,
        started: float,
        *,
        cached: integration_cache.CachedIntegration | None = None,
        headers: dict[str, str] | None = None,
    ) -> ReceiveOutcome:
        if headers is None:
            headers = request_headers(http_request)
        return webhook_receive(
            integration=integration,
            body=body,
            headers=headers,
            payload=parse_payload(body, headers),
            endpoint=f"POST {http_request.path}",
            started=started,
            row_version=cached.version if cached is not None else None,
            secrets=cached.secrets if cached is not None else None,
        )

    @staticmethod
    def _answer(outcome: ReceiveOutcome, code: str) -> Response:
        # The request's log line (and the tasks it sends) name the integration and the webhook.
        webhook = outcome.webhook
        structlog.contextvars.bind_contextvars(integration=code)
        if webhook is not None:
            structlog.contextvars.bind_contextvars(webhook_id=str(webhook.pk))
        logger.info(
            "webhook_received",
            status_code=outcome.status_code,
            webhook_status=webhook.status if webhook is not None else None,
        )
        return Response(outcome.body, status=outcome.status_code, headers=outcome.headers)


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
        webhook = self.get_object()
        try:
            webhook = webhook_retry(webhook=webhook)
        except WebhookNotRetryable as error:
            return Response(
                {"detail": str(error), "status": webhook.status}, status=status.HTTP_409_CONFLICT
            )
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_202_ACCEPTED)


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
