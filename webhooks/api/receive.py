"""The public receive URL: HTTP in, one call of ``webhook_receive``, its outcome out as the answer.

A POST that a kept integration answers alone leaves without DRF's request and response objects
(the hot path). Every other answer goes through ``WebhookReceiveView``, which the API schema
documents and which gives it DRF's rendering, content negotiation and error handling, as every
other API answer; so do the other methods, which a gateway's own protocol answers itself."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any, NoReturn

import structlog
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import database_unavailable
from integrations.providers import (
    operation_route_unavailable,
    receive_protocol_for,
    receive_unreadable_answer,
    receives_operations,
)
from integrations.selectors import integration_get_live
from webhooks import kept_integrations
from webhooks.api.serializers import ReceivedSerializer, ReceiveErrorSerializer
from webhooks.inbound import Delivery
from webhooks.services import (
    IntegrationUnreadable,
    KeptStatementFailed,
    ProtocolAnswers,
    ReceiveOutcome,
    webhook_receive,
)

Received = Callable[[], ReceiveOutcome | ProtocolAnswers | None]

logger = structlog.get_logger(__name__)


class WebhookReceiveView(APIView):
    """``POST /api/webhooks/receive/<code>``: public; the signature is the authentication."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    # The raw body is read by ``Delivery``, bounded: DRF's parsers would read it whole first.
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
        kept_integrations.note_provider(integration)
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
    def post(self, request: Request, code: str, *, receive: Received) -> HttpResponseBase:
        """``receive``: the call of ``webhook_receive`` (or what it gave, see
        ``webhook_receive_view``)."""
        http_request = request._request
        try:
            received = receive()
        except IntegrationUnreadable as unreadable:
            # The database is down: a gateway that must never see a 5xx (Paynet: -32603) is
            # answered by its protocol; everyone else gets the handler's 503 and delivers again.
            if answer := _unreadable_answer(http_request, code):
                return answer
            raise unreadable.error from None
        except KeptStatementFailed as failure:
            return database_unavailable(failure.error)
        if received is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        if isinstance(received, ProtocolAnswers):
            return received.protocol(http_request, received.integration)
        return _answer(received, code)


def _answer(outcome: ReceiveOutcome, code: str) -> HttpResponseBase:
    webhook = outcome.webhook
    _log_received(
        code,
        str(webhook.pk) if webhook is not None else outcome.body.get("id"),
        outcome.status_code,
        webhook.status if webhook is not None else outcome.body.get("status"),
    )
    if outcome.kept:  # the kept integration's statement answered: no DRF response needed
        return JsonResponse(outcome.body, status=outcome.status_code)
    response = Response(outcome.body, status=outcome.status_code, headers=outcome.headers)
    if outcome.status_code >= 400:
        # An expected refusal (inactive, rate limited, too large, bad signature) is told by
        # the line above and the request's own: Django's "Service Unavailable" error line
        # would make a sender's retry look like a fault of the hub.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _unreadable_answer(request: HttpRequest, code: str) -> HttpResponse | None:
    return receive_unreadable_answer(request, provider=kept_integrations.provider_of(code))


def _log_received(
    code: str, webhook_id: str | None, status_code: int, webhook_status: str | None
) -> None:
    # The request's log line (and the tasks it sends) name the integration and the webhook.
    structlog.contextvars.bind_contextvars(integration=code)
    if webhook_id is not None:
        structlog.contextvars.bind_contextvars(webhook_id=webhook_id)
    logger.info("webhook_received", status_code=status_code, webhook_status=webhook_status)


def _raise(error: Exception) -> NoReturn:
    raise error


_through_drf = WebhookReceiveView.as_view()


@csrf_exempt
def webhook_receive_view(request: HttpRequest, code: str) -> HttpResponseBase:
    """The receive URL. A POST is one call of ``webhook_receive``. For a code with a kept
    integration and a declared body the call is made at once, and an answer of the kept
    integration alone is sent without DRF; any other answer (or error) of that call is handed
    to ``WebhookReceiveView``, which answers it as DRF does. Otherwise the view gets the call
    itself, after DRF's content negotiation, before anything is read."""
    if request.method != "POST":
        return _through_drf(request, code=code)
    delivery = Delivery(request, started=time.monotonic())
    if (
        kept_integrations.kept(code) is None
        or not delivery.whole_body_declared
        or not _negotiates_to_json(request)
    ):
        return _through_drf(
            request, code=code, receive=partial(webhook_receive, code=code, delivery=delivery)
        )
    try:
        received = webhook_receive(code=code, delivery=delivery)
    except KeptStatementFailed as failure:
        if not failure.integration_read:
            # As the API's handler answers it: nothing was committed, the sender delivers again.
            return database_unavailable(failure.error)
        return _through_drf(request, code=code, receive=partial(_raise, failure))
    except Exception as error:  # answered, or raised again, by DRF's handler
        return _through_drf(request, code=code, receive=partial(_raise, error))
    if isinstance(received, ReceiveOutcome) and not received.integration_read:
        return _answer(received, code)
    return _through_drf(request, code=code, receive=lambda: received)


# Accept headers that take JSON without a negotiation (none, anything, JSON itself).
_PLAIN_ACCEPTS = frozenset({None, "", "*/*", "application/json"})


def _negotiates_to_json(request: HttpRequest) -> bool:
    """Whether DRF's content negotiation of ``WebhookReceiveView`` would answer in JSON. Asked
    before anything is stored: a request it refuses (406 for the ``Accept``, 404 for a
    ``?format=`` override) goes to DRF whole and is refused before its body is read, since a
    stored delivery answered 404 or 406 would be delivered again (and stored twice without an
    id). The usual senders' headers are answered without building DRF's request."""
    if request.META.get("HTTP_ACCEPT") in _PLAIN_ACCEPTS and not request.META.get("QUERY_STRING"):
        return True  # no Accept to weigh and no ?format= to obey
    try:
        DefaultContentNegotiation().select_renderer(Request(request), [JSONRenderer()])
    except (NotAcceptable, Http404):
        return False
    return True


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
