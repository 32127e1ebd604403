"""Payments API: invoices (create, list, get, cancel, QR of a checkout link, Click Pass charge
and refund), transactions and fiscal receipts (read-only)."""

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

from core.api.errors import Conflict
from core.api.routers import UUID_PATTERN
from integrations.models import Integration, IntegrationStatus
from payments.api.serializers import (
    ClickPassRequestSerializer,
    ClickPassResultSerializer,
    FiscalReceiptSerializer,
    InvoiceConflictSerializer,
    PaymentInvoiceCreateSerializer,
    PaymentInvoiceSerializer,
    PaymentTransactionSerializer,
)
from payments.checkout import checkout_url, qr_svg
from payments.filters import FiscalReceiptFilter, PaymentInvoiceFilter, PaymentTransactionFilter
from payments.models import (
    FiscalReceipt,
    InvoiceStatus,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
)
from payments.selectors import checkout_integration, checkout_integrations
from payments.services import (
    ClickPassConflict,
    ClickPassUnavailable,
    InvoiceNotCancellable,
    click_pass_pay,
    click_pass_refund,
    invoice_cancel,
    invoice_create,
)

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
    queryset = PaymentInvoice.objects.prefetch_related("fiscal_receipts")
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
        "a cancelled one stays so. Paid and refunded invoices answer 409, and so does one "
        "with a Click Pass charge still in progress.",
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
            raise Conflict(str(error), status=error.invoice.status) from None
        return Response(self.get_serializer(invoice).data)

    @extend_schema(
        summary="Charge an invoice with Click Pass",
        description="The machine scanned the QR code the customer's Click app shows: the hub "
        "records the attempt, charges the invoice through Click's merchant API (amount in "
        "so'm there) and answers `paid`, `failed` (the invoice stays pending) or `processing` "
        "(Click still working, or no answer): the hub settles that itself through Click's "
        "payment status within a minute, and never sends the one-time `otp_data` again.",
        request=ClickPassRequestSerializer,
        responses={
            200: ClickPassResultSerializer,
            400: OpenApiResponse(
                description="A field missing or invalid (named), or an "
                "integration that is not a usable Click integration."
            ),
            404: _ERRORS[404],
            409: OpenApiResponse(
                InvoiceConflictSerializer,
                description="The invoice is not pending, has expired, or another payment of it "
                "is in progress.",
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="click-pass")
    def click_pass(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        serializer = ClickPassRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        integration = (
            Integration.objects.filter(code=data["integration"], provider=PaymentProvider.CLICK)
            .exclude(status=IntegrationStatus.INACTIVE)
            .first()
        )
        if integration is None:
            raise ValidationError(
                {
                    "integration": [
                        f"No Click integration {data['integration']!r} to charge through."
                    ]
                }
            )
        if invoice.status != InvoiceStatus.PENDING:
            raise Conflict(f"The invoice is {invoice.status}.", status=invoice.status)
        try:
            result = click_pass_pay(
                invoice=invoice,
                integration=integration,
                otp_data=data["otp_data"],
                cashbox_code=data.get("cashbox_code") or "",
            )
        except ClickPassUnavailable as unavailable:
            raise ValidationError({"integration": [str(unavailable)]}) from None
        except ClickPassConflict as conflict:
            invoice.refresh_from_db()
            raise Conflict(str(conflict), status=invoice.status) from None
        return Response(
            {
                "status": result.status,
                "payment_id": result.payment_id,
                "error_note": result.error_note,
            }
        )

    @extend_schema(
        summary="Refund a Click Pass payment",
        description="Reverses the invoice's paid Click Pass payment through Click "
        "(`payment/reversal`): the invoice becomes refunded and `payment.cancelled` is emitted. "
        "409 for any other invoice, or when Click refuses or does not answer.",
        request=None,
        responses={
            200: PaymentInvoiceSerializer,
            404: _ERRORS[404],
            409: OpenApiResponse(InvoiceConflictSerializer, description="Nothing to refund."),
        },
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        try:
            click_pass_refund(invoice=invoice)
        except ClickPassConflict as conflict:
            invoice.refresh_from_db()
            raise Conflict(str(conflict), status=invoice.status) from None
        invoice = self.get_queryset().get(pk=invoice.pk)
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


@extend_schema_view(
    list=extend_schema(summary="List fiscal receipts"),
    retrieve=extend_schema(summary="Get a fiscal receipt"),
)
class FiscalReceiptViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = FiscalReceipt.objects.all()
    serializer_class = FiscalReceiptSerializer
    filterset_class = FiscalReceiptFilter
    lookup_value_regex = _UUID
    search_fields = ["receipt_id", "terminal_id", "fiscal_sign"]
    ordering_fields = ["created_at", "updated_at", "fiscalized_at"]
