"""Fiscal receipts in the admin: their read-only history, each receipt's QR code, and the card
each gets on its invoice's page."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from integrations.admin.base import HistoryAdmin, pretty_json
from payments.checkout import qr_svg
from payments.models import FiscalReceipt


def receipt_qr(receipt: FiscalReceipt) -> str:
    """The receipt's QR code (the customer's link to the tax authority's copy), or a dash."""
    if not receipt.qr_code_url:
        return "—"
    return format_html(
        '<a href="{}" rel="noopener noreferrer">{}</a>',
        receipt.qr_code_url,
        mark_safe(qr_svg(receipt.qr_code_url, scale=3)),  # noqa: S308 (segno's own SVG)
    )


def receipt_card(receipt: FiscalReceipt) -> str:
    """The receipt on its invoice's page: status, fiscal fields, any error, the QR code."""
    url = reverse("admin:payments_fiscalreceipt_change", args=[receipt.pk])
    return format_html(
        '<div style="display:inline-block; margin: 0 2em 1em 0; vertical-align: top">'
        '<a href="{}"><strong>{} {} receipt</strong></a>: {}<br>'
        "terminal {} · receipt {} · sign {} · {}<br>{}{}</div>",
        url,
        receipt.provider,
        receipt.kind,
        receipt.status,
        receipt.terminal_id or "—",
        receipt.receipt_id or "—",
        receipt.fiscal_sign or "—",
        receipt.fiscalized_at or "not registered",
        format_html("<em>{}</em><br>", receipt.error_message) if receipt.error_message else "",
        receipt_qr(receipt),
    )


@admin.register(FiscalReceipt)
class FiscalReceiptAdmin(HistoryAdmin):
    list_display = [
        "created_at",
        "invoice_link",
        "provider",
        "kind",
        "status",
        "terminal_id",
        "receipt_id",
        "fiscalized_at",
        "attempts",
        "next_attempt_at",
    ]
    list_filter = ["status", "provider", "kind", "created_at", "fiscalized_at"]
    search_fields = ["receipt_id", "terminal_id", "fiscal_sign", "invoice__order_id"]
    list_select_related = ["invoice"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "invoice_link",
        "transaction",
        "provider",
        "kind",
        "status",
        "receipt_id",
        "terminal_id",
        "fiscal_sign",
        "qr_code_url",
        "qr",
        "fiscalized_at",
        "error_message",
        "provider_status_code",
        "payment_id",
        "total",
        "received_card",
        "received_ecash",
        "received_cash",
        "lines_pretty",
        "payloads_pretty",
        "warnings",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "updated_at",
    ]
    exclude = ["invoice", "lines", "payloads"]

    @admin.display(description="Invoice", ordering="invoice__order_id")
    def invoice_link(self, obj: FiscalReceipt) -> str:
        url = reverse("admin:payments_paymentinvoice_change", args=[obj.invoice_id])
        return format_html('<a href="{}">{}</a>', url, obj.invoice.order_id)

    @admin.display(description="QR code")
    def qr(self, obj: FiscalReceipt) -> str:
        return receipt_qr(obj)

    @admin.display(description="Lines as sent")
    def lines_pretty(self, obj: FiscalReceipt) -> str:
        return pretty_json(obj.lines)

    @admin.display(description="Raw payloads")
    def payloads_pretty(self, obj: FiscalReceipt) -> str:
        return pretty_json(obj.payloads)
