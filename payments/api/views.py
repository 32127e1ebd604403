"""Payments API: invoices (create, list, get, cancel, QR of a checkout link) and transactions
(read-only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from payments.api.serializers import (
    InvoiceConflictSerializer,
    PaymentInvoiceCreateSerializer,
    PaymentInvoiceSerializer,
    PaymentTransactionSerializer,
)
from payments.checkout import checkout_url, qr_svg
from payments.filters import PaymentInvoiceFilter, PaymentTransactionFilter
from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.selectors import checkout_integration, checkout_integrations
from payments.services import InvoiceNotCancellable, invoice_cancel, invoice_create
from vendhub_integrations.api.routers import UUID_PATTERN

_UUID = UUID_PATTERN
_ERRORS = {
    400: OpenApiResponse(description="Invalid input: the body names each field in error."),
    403: OpenApiResponse(description="No or bad API key."),
    404: OpenApiResponse(description="No such invoice."),
}


class SVGRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``Accept: image/svg+xml``; the QR view answers the SVG itself."""

    media_type = "image/svg+xml"
    format = "svg"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        return data.encode("utf-8") if isinstance(data, str) else b""


@extend_schema_view(
    list=extend_schema(summary="List payment invoices"),
    retrieve=extend_schema(summary="Get a payment invoice"),
)
class PaymentInvoiceViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = PaymentInvoice.objects.all()
    serializer_class = PaymentInvoiceSerializer
    filterset_class = PaymentInvoiceFilter
    lookup_value_regex = _UUID
    search_fields = ["order_id", "description", "provider_transaction_id"]
    ordering_fields = ["created_at", "amount", "paid_at", "expires_at"]

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        # Decrypted once per request, not once per invoice of a page.
        context["checkout_integrations"] = checkout_integrations()
        return context

    @extend_schema(
        summary="Create a payment invoice",
        request=PaymentInvoiceCreateSerializer,
        responses={201: PaymentInvoiceSerializer, **_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PaymentInvoiceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("currency", None)
        try:
            invoice = invoice_create(**data)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        body = PaymentInvoiceSerializer(invoice, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a payment invoice",
        description="A pending invoice becomes cancelled (a payment in flight on it too); "
        "a cancelled one stays so. Paid and refunded invoices answer 409.",
        request=None,
        responses={
            200: PaymentInvoiceSerializer,
            404: _ERRORS[404],
            409: OpenApiResponse(InvoiceConflictSerializer, description="The invoice is paid."),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        try:
            invoice = invoice_cancel(invoice=invoice)
        except InvoiceNotCancellable as error:
            return Response(
                {"detail": str(error), "status": error.invoice.status},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(self.get_serializer(invoice).data)

    @extend_schema(
        summary="QR code of an invoice's checkout link",
        parameters=[
            OpenApiParameter(
                "integration",
                OpenApiTypes.STR,
                required=True,
                description="The code of a Payme or Click integration.",
            )
        ],
        responses={
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="The QR code."),
            400: OpenApiResponse(description="No integration parameter."),
            404: OpenApiResponse(description="No such invoice or integration code."),
            409: OpenApiResponse(description="The invoice is not pending."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, SVGRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def qr(self, request: Request, pk: str) -> HttpResponse:
        invoice = PaymentInvoice.objects.filter(pk=pk).first()
        if invoice is None:
            return JsonResponse({"detail": "Not found."}, status=404)
        code = request.query_params.get("integration")
        if not code:
            return JsonResponse({"integration": ["This parameter is required."]}, status=400)
        integration = checkout_integration(code)
        if integration is None:
            return JsonResponse(
                {"detail": f"No Payme or Click integration {code!r} to pay through."}, status=404
            )
        if invoice.status != InvoiceStatus.PENDING:
            return JsonResponse(
                {"detail": f"The invoice is {invoice.status}.", "status": invoice.status},
                status=409,
            )
        svg = qr_svg(checkout_url(integration=integration, invoice=invoice))
        return HttpResponse(svg, content_type="image/svg+xml")


@extend_schema_view(
    list=extend_schema(summary="List payment transactions"),
    retrieve=extend_schema(summary="Get a payment transaction"),
)
class PaymentTransactionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = PaymentTransaction.objects.all()
    serializer_class = PaymentTransactionSerializer
    filterset_class = PaymentTransactionFilter
    lookup_value_regex = _UUID
    search_fields = ["provider_transaction_id"]
    ordering_fields = ["created_at", "create_time", "perform_time", "amount"]
