"""Reads of the payments app: invoice and transaction lists, the transaction a gateway names,
the gateways an invoice can be paid through, and its checkout links."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from integrations.models import Integration, IntegrationStatus
from payments.checkout import checkout_url
from payments.filters import (
    FiscalReceiptFilter,
    PaymentInvoiceFilter,
    PaymentTransactionFilter,
)
from payments.models import (
    FiscalReceipt,
    InvoiceStatus,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    ReceiptKind,
    ReceiptStatus,
    TransactionState,
)


def payment_invoice_list(*, filters: dict[str, Any] | None = None) -> QuerySet[PaymentInvoice]:
    return PaymentInvoiceFilter(filters or {}, queryset=PaymentInvoice.objects.all()).qs


def payment_transaction_list(
    *, filters: dict[str, Any] | None = None
) -> QuerySet[PaymentTransaction]:
    return PaymentTransactionFilter(filters or {}, queryset=PaymentTransaction.objects.all()).qs


def transaction_get_for_gateway(
    *,
    provider: PaymentProvider,
    provider_transaction_id: str,
    integration: Integration | None = None,
) -> PaymentTransaction | None:
    """The transaction the gateway knows by its own id, with its integration and invoice (a
    gateway's answer reads both); with ``integration``, only when it is that integration's (a
    gateway sees no other integration's transactions). None when there is none."""
    queryset = PaymentTransaction.objects.filter(
        provider=provider, provider_transaction_id=provider_transaction_id
    )
    if integration is not None:
        queryset = queryset.filter(integration=integration)
    return queryset.select_related("integration", "invoice").first()


def fiscal_receipt_list(*, filters: dict[str, Any] | None = None) -> QuerySet[FiscalReceipt]:
    return FiscalReceiptFilter(filters or {}, queryset=FiscalReceipt.objects.all()).qs


def fiscal_receipt_counts() -> dict[str, int]:
    """``sales_not_fiscalized`` (sale receipts pending, submitted or failed) and
    ``fiscal_failed`` (of those, failed), for the dashboard."""
    rows = dict(
        FiscalReceipt.objects.filter(kind=ReceiptKind.SALE)
        .exclude(status=ReceiptStatus.FISCALIZED)
        .order_by()
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    return {
        "sales_not_fiscalized": sum(rows.values()),
        "fiscal_failed": rows.get(ReceiptStatus.FAILED, 0),
    }


def invoice_click_pass_refundable(invoice: PaymentInvoice) -> bool:
    """Whether the invoice is paid by a Click Pass charge (what ``…/refund`` reverses)."""
    return (
        invoice.status == InvoiceStatus.PAID
        and PaymentTransaction.objects.filter(
            invoice=invoice, state=TransactionState.PERFORMED, click_pass=True
        ).exists()
    )


def checkout_integrations() -> list[Integration]:
    """Live gateway integrations that are not inactive, by code; a Paynet one only when it has
    ``config.merchant_id`` (its link needs the merchant id Paynet issues)."""
    integrations = (
        Integration.objects.filter(provider__in=PaymentProvider.values)
        .exclude(status=IntegrationStatus.INACTIVE)
        .order_by("code")
    )
    return [
        integration
        for integration in integrations
        if integration.provider != PaymentProvider.PAYNET or integration.typed_config.merchant_id
    ]


def checkout_integration(code: str) -> Integration | None:
    """One of ``checkout_integrations`` by its code."""
    return next((found for found in checkout_integrations() if found.code == code), None)


def invoice_checkout_urls(
    *, invoice: PaymentInvoice, integrations: list[Integration] | None = None
) -> dict[str, str]:
    """``{code: url}`` for each checkout integration; empty once the invoice is not pending
    (nothing is left to pay)."""
    if invoice.status != InvoiceStatus.PENDING:
        return {}
    if integrations is None:
        integrations = checkout_integrations()
    return {
        integration.code: checkout_url(integration=integration, invoice=invoice)
        for integration in integrations
    }
