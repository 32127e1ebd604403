"""Webhooks API: the public receive URL, stored deliveries (list, get, delete, retry, replay, their
attempts) and the rotation of an integration's webhook secret."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import Conflict, database_unavailable
from core.api.pagination import KeysetPagination
from core.api.permissions import request_actor
from core.api.routers import UUID_PATTERN
from integrations.models import Integration, IntegrationStatus
from integrations.providers import (
    operation_route_unavailable,
    receive_protocol_for,
    receive_unreadable_answer,
    receives_operations,
)
from integrations.selectors import integration_get_live, integration_get_live_versioned
from webhooks import integration_cache
from webhooks.api.serializers import (
    ReceivedSerializer,
    ReceiveErrorSerializer,
    RetryConflictSerializer,
    RotatedWebhookSecretSerializer,
    RotateWebhookSecretSerializer,
    WebhookAttemptListSerializer,
    WebhookAttemptSerializer,
    WebhookSerializer,
)
from webhooks.filters import WebhookFilter
from webhooks.inbound import BodyTooLarge, max_body_bytes, parse_payload, read_body, request_headers
from webhooks.integration_cache import StaleIntegration
from webhooks.models import Webhook
from webhooks.ratelimit import receive_rate_check
from webhooks.selectors import webhook_attempt_list
from webhooks.services import (
    ReceiveOutcome,
    WebhookNotReplayable,
    WebhookNotRetryable,
    webhook_receive,
    webhook_refuse,
    webhook_replay,
    webhook_retry,
    webhook_secret_rotate,
)
from webhooks.services.receive_cached import OffCommonPath, webhook_receive_cached

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
        return self._protocol_answer(request, kwargs.get("code", "")) or (
            super().http_method_not_allowed(request, *args, **kwargs)
        )

    def options(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        # OPTIONS is one more method that is not POST to a gateway (Paynet: -32300).
        return self._protocol_answer(request, kwargs.get("code", "")) or (
            super().options(request, *args, **kwargs)
        )

    @staticmethod
    def _protocol_answer(request: Request, code: str) -> HttpResponseBase | None:
        try:
            integration = integration_get_live(code=code)
        except (OperationalError, InterfaceError):
            if answer := _unreadable_answer(request._request, code):
                return answer
            raise
        if integration is None:
            return None
        integration_cache.note_provider(integration)
        protocol = receive_protocol_for(integration)
        return protocol(request._request, integration) if protocol else None

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
        try:
            integration, version = integration_get_live_versioned(code=code)
        except (OperationalError, InterfaceError):
            # The database is down: a gateway that must never see a 5xx (Paynet: -32603) is
            # answered by its protocol; everyone else gets the handler's 503 and delivers again.
            if answer := _unreadable_answer(http_request, code):
                return answer
            raise
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
            try:
                body = read_body(http_request)
            except BodyTooLarge:
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
                payload = parse_payload(body, headers)
                entry = integration_cache.cached(code)
                if entry is not None:
                    # Just read, and fit for the common path: its one statement.
                    answer = _common_path(entry, http_request, body, headers, payload, started)
                    if answer is not None:
                        return answer
                outcome = webhook_receive(
                    integration=integration,
                    body=body,
                    headers=headers,
                    payload=payload,
                    endpoint=endpoint,
                    started=started,
                )
        return self._answer(outcome, code)

    @staticmethod
    def _answer(outcome: ReceiveOutcome, code: str) -> Response:
        webhook = outcome.webhook
        _log_received(
            code, str(webhook.pk) if webhook is not None else None, outcome.status_code,
            webhook.status if webhook is not None else None,
        )  # fmt: skip
        response = Response(outcome.body, status=outcome.status_code, headers=outcome.headers)
        if outcome.status_code >= 400:
            # An expected refusal (inactive, rate limited, too large, bad signature) is told by
            # the line above and the request's own: Django's "Service Unavailable" error line
            # would make a sender's retry look like a fault of the hub.
            response._has_been_logged = True  # type: ignore[attr-defined]
        return response


def _unreadable_answer(request: HttpRequest, code: str) -> HttpResponse | None:
    return receive_unreadable_answer(request, provider=integration_cache.provider_of(code))


def _log_received(
    code: str, webhook_id: str | None, status_code: int, webhook_status: str | None
) -> None:
    # The request's log line (and the tasks it sends) name the integration and the webhook.
    structlog.contextvars.bind_contextvars(integration=code)
    if webhook_id is not None:
        structlog.contextvars.bind_contextvars(webhook_id=webhook_id)
    logger.info("webhook_received", status_code=status_code, webhook_status=webhook_status)


def _common_path(
    entry: integration_cache.CachedIntegration,
    http_request: HttpRequest,
    body: bytes,
    headers: dict[str, str],
    payload: Any,
    started: float,
) -> HttpResponse | None:
    """The answer of ``webhook_receive_cached``, or None when the full path must give it (a
    changed integration is forgotten first)."""
    code = entry.integration.code
    try:
        outcome = webhook_receive_cached(
            entry,
            body=body,
            headers=headers,
            payload=payload,
            endpoint=f"POST {http_request.path}",
            started=started,
        )
    except StaleIntegration:
        integration_cache.forget(code)
        return None
    except OffCommonPath:
        return None
    except (OperationalError, InterfaceError) as error:
        # As the API's handler answers it: nothing was committed, the sender delivers again.
        return database_unavailable(error)
    _log_received(code, outcome.body["id"], outcome.status_code, outcome.body["status"])
    return JsonResponse(outcome.body, status=outcome.status_code)


_full_receive = WebhookReceiveView.as_view()


@csrf_exempt
def webhook_receive_view(request: HttpRequest, code: str) -> HttpResponseBase:
    """The receive URL. A delivery for an integration this process has read before, with its
    whole body declared, takes the common path without DRF's request and response machinery
    (see ``webhooks.services.receive_cached``); everything else, and anything that path gives
    back, is answered by ``WebhookReceiveView`` (which the API schema documents)."""
    if request.method == "POST" and (entry := integration_cache.cached(code)) is not None:
        started = time.monotonic()
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) <= max_body_bytes():
            body = read_body(request)
            headers = request_headers(request)
            answer = _common_path(
                entry, request, body, headers, parse_payload(body, headers), started
            )
            if answer is not None:
                return answer
            # The full path reads the body again, and a gateway's protocol finds it read.
            request._body = body
            request._stream = io.BytesIO(body)
    return _full_receive(request, code=code)


# drf-spectacular documents the URL from the view DRF would have routed it to.
webhook_receive_view.cls = WebhookReceiveView  # type: ignore[attr-defined]
webhook_receive_view.initkwargs = {}  # type: ignore[attr-defined]


@csrf_exempt
def webhook_receive_operation_view(
    request: HttpRequest, code: str, operation: str
) -> HttpResponseBase:
    """``/api/webhooks/receive/<code>/<operation>``: for a gateway whose senders append the
    operation to the receive URL (Uzum), its protocol answers (it reads ``operation`` from the
    route, and refuses one it does not know in its own terms); for any other integration, and an
    unknown code, the path does not exist. Whatever the method: the protocol answers that too."""
    try:
        integration = integration_get_live(code=code)
    except (OperationalError, InterfaceError) as error:
        # Not even the integration can be read; a gateway is still never answered a 5xx.
        answer = operation_route_unavailable(request)
        return answer if answer is not None else database_unavailable(error)
    protocol = receive_protocol_for(integration) if integration is not None else None
    if integration is None or protocol is None or not receives_operations(integration):
        return JsonResponse({"detail": "Not found."}, status=404)
    return protocol(request, integration)


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
