"""Admin screens for invoices (with their checkout links and QR codes, their fiscal receipts with
each receipt's QR, and a cancel action that is also a button), gateway transactions and fiscal
receipts (read-only history)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from integrations.admin.base import (
    HistoryAdmin,
    ObjectButton,
    ObjectButtonsMixin,
    pretty_json,
)
from payments.checkout import qr_svg, soums
from payments.models import FiscalReceipt, InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.selectors import invoice_checkout_urls, invoice_click_pass_refundable
from payments.services import (
    ClickPassConflict,
    InvoiceNotCancellable,
    click_pass_refund,
    invoice_cancel,
    invoice_check_expires_at,
    invoice_create,
)

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups


class PaymentInvoiceAddForm(forms.ModelForm):
    """A new invoice, made by the same service as ``POST /api/payment-invoices``."""

    items = forms.JSONField(
        required=False,
        help_text="Fiscal lines: a list of {title, price (tiyin), count, code (17-digit IKPU), "
        "package_code, vat_percent}; price × count must add up to the amount.",
    )

    class Meta:
        model = PaymentInvoice
        fields = ["order_id", "amount", "description", "items", "expires_at"]

    def clean_items(self) -> list[dict[str, Any]]:
        from payments.api.serializers import InvoiceItemSerializer

        items = self.cleaned_data.get("items") or []
        serializer = InvoiceItemSerializer(data=items, many=True)
        if not serializer.is_valid():
            raise ValidationError(f"Invalid items: {serializer.errors}")
        return [dict(item) for item in serializer.validated_data]

    def clean_expires_at(self) -> datetime | None:
        expires_at: datetime | None = self.cleaned_data.get("expires_at")
        try:
            invoice_check_expires_at(expires_at)
        except ValidationError as error:
            raise ValidationError(error.message_dict["expires_at"]) from None
        return expires_at


# A tuple: both ``fields`` and ``readonly_fields`` accept it (a list[str] is no _FieldGroups).
_TRANSACTION_FIELDS = (
    "provider",
    "provider_transaction_id",
    "state",
    "amount",
    "reason",
    "created_at",
)


class PaymentTransactionInline(admin.TabularInline):
    model = PaymentTransaction
    extra = 0
    can_delete = False
    show_change_link = True
    fields = _TRANSACTION_FIELDS
    readonly_fields = _TRANSACTION_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaymentInvoice)
class PaymentInvoiceAdmin(ObjectButtonsMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "order_id",
        "amount_display",
        "status",
        "provider",
        "provider_transaction_id",
        "paid_at",
        "expires_at",
    ]
    list_filter = ["status", "provider", "created_at", "paid_at", "expires_at"]
    search_fields = ["order_id", "description", "provider_transaction_id"]
    date_hierarchy = "created_at"
    actions = ["cancel_selected", "refund_selected"]
    inlines = [PaymentTransactionInline]
    readonly_fields = [
        "id",
        "order_id",
        "amount_display",
        "currency",
        "status",
        "description",
        "items_pretty",
        "expires_at",
        "paid_at",
        "provider",
        "provider_transaction_id",
        "checkout",
        "fiscal_receipts_section",
        "created_at",
        "updated_at",
    ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        if obj is None:
            kwargs["form"] = PaymentInvoiceAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        if obj is None:
            return ["order_id", "amount", "description", "items", "expires_at"]
        return list(self.readonly_fields)

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        return self.inlines if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An invoice changes only through the gateways and the cancel action.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.change_paymentinvoice")

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.change_paymentinvoice")

    def save_model(
        self, request: HttpRequest, obj: PaymentInvoice, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        try:
            created = invoice_create(
                order_id=data["order_id"],
                amount=data["amount"],
                description=data.get("description") or "",
                items=data.get("items") or [],
                expires_at=data.get("expires_at"),
            )
        except ValidationError as error:
            # Raced by another invoice with the order id since the form was checked.
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            raise
        obj.pk = created.pk
        obj.created_at = created.created_at

    def object_buttons(self, request: HttpRequest) -> list[ObjectButton]:
        return [
            ObjectButton(
                name="cancel",
                label="Cancel invoice",
                action="cancel_selected",
                run=self._cancel,
                applies=lambda invoice: invoice.status == InvoiceStatus.PENDING,
                confirm="The invoice can no longer be paid; a payment in flight on it is "
                "cancelled too.",
            ),
            ObjectButton(
                name="refund",
                label="Refund Click Pass payment",
                action="refund_selected",
                run=self._refund,
                applies=invoice_click_pass_refundable,
                confirm="Click reverses the charge and the money goes back to the customer's "
                "card or wallet; the invoice becomes refunded.",
            ),
        ]

    def _refund(self, request: HttpRequest, invoice: PaymentInvoice) -> None:
        try:
            click_pass_refund(invoice=invoice)
        except ClickPassConflict as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            self.message_user(request, f"Invoice {invoice.order_id} refunded.")

    @admin.action(description="Refund selected Click Pass payments", permissions=["refund"])
    def refund_selected(self, request: HttpRequest, queryset: QuerySet[PaymentInvoice]) -> None:
        refunded, refused = 0, []
        for invoice in queryset:
            try:
                click_pass_refund(invoice=invoice)
            except ClickPassConflict as error:
                refused.append(f"{invoice.order_id}: {error}")
            else:
                refunded += 1
        self.message_user(
            request,
            f"Refunded {refunded} invoice(s)."
            + (" Not refunded: " + "; ".join(refused) if refused else ""),
            messages.SUCCESS if refunded and not refused else messages.WARNING,
        )

    def _cancel(self, request: HttpRequest, invoice: PaymentInvoice) -> None:
        try:
            invoice_cancel(invoice=invoice)
        except InvoiceNotCancellable as error:
            self.message_user(request, str(error), messages.WARNING)
        else:
            self.message_user(request, f"Invoice {invoice.order_id} cancelled.")

    @admin.action(description="Cancel selected invoices (pending ones)", permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[PaymentInvoice]) -> None:
        cancelled = skipped = 0
        for invoice in queryset:
            try:
                invoice_cancel(invoice=invoice)
            except InvoiceNotCancellable:
                skipped += 1
            else:
                cancelled += 1
        self.message_user(
            request,
            f"Cancelled {cancelled} invoice(s); skipped {skipped} paid or refunded.",
            messages.SUCCESS if cancelled else messages.WARNING,
        )

    @admin.display(description="Amount (soums)", ordering="amount")
    def amount_display(self, obj: PaymentInvoice) -> str:
        return f"{soums(obj.amount)} ({obj.amount} tiyin)"

    @admin.display(description="Items")
    def items_pretty(self, obj: PaymentInvoice) -> str:
        return pretty_json(obj.items)

    @admin.display(description="Checkout links and QR codes")
    def checkout(self, obj: PaymentInvoice) -> str:
        urls = invoice_checkout_urls(invoice=obj)
        if not urls:
            if obj.status != InvoiceStatus.PENDING:
                return f"None: the invoice is {obj.status}."
            return "None: no Payme, Click or Uzum integration is set up (or all are inactive)."
        return format_html_join(
            "",
            '<div style="display:inline-block; margin: 0 2em 1em 0; vertical-align: top">'
            '<strong>{}</strong><br><a href="{}" rel="noopener noreferrer">{}</a><br>{}</div>',
            (
                (code, url, url if len(url) <= 80 else url[:79] + "…", mark_safe(qr_svg(url)))  # noqa: S308 (segno's own SVG, no outside text)
                for code, url in urls.items()
            ),
        )

    @admin.display(description="Fiscal receipts")
    def fiscal_receipts_section(self, obj: PaymentInvoice) -> str:
        receipts = list(obj.fiscal_receipts.order_by("created_at"))
        if not receipts:
            return "None." if obj.items else "None: the invoice has no items to fiscalize."
        return format_html_join("", "{}", ((receipt_card(receipt),) for receipt in receipts))


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


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(HistoryAdmin):
    list_display = [
        "created_at",
        "provider",
        "provider_transaction_id",
        "invoice_link",
        "amount",
        "state",
        "reason",
        "integration",
    ]
    list_filter = [
        "provider",
        "state",
        "reason",
        ("integration", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    search_fields = ["provider_transaction_id", "invoice__order_id"]
    list_select_related = ["invoice", "integration"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "integration",
        "provider",
        "provider_transaction_id",
        "invoice_link",
        "amount",
        "state",
        "create_time",
        "perform_time",
        "cancel_time",
        "reason",
        "time",
        "account_pretty",
        "click_paydoc_id",
        "merchant_prepare_id",
        "merchant_confirm_id",
        "provider_trn_id",
        "click_pass",
        "cashbox_code",
        "next_check_at",
        "error_note",
        "provider_details_pretty",
        "created_at",
        "updated_at",
    ]
    exclude = ["account", "invoice", "provider_details"]

    @admin.display(description="Invoice", ordering="invoice__order_id")
    def invoice_link(self, obj: PaymentTransaction) -> str:
        url = reverse("admin:payments_paymentinvoice_change", args=[obj.invoice_id])
        return format_html('<a href="{}">{}</a>', url, obj.invoice.order_id)

    @admin.display(description="Account")
    def account_pretty(self, obj: PaymentTransaction) -> str:
        return pretty_json(obj.account)

    @admin.display(description="Gateway details")
    def provider_details_pretty(self, obj: PaymentTransaction) -> str:
        # Uzum's /confirm extras: paymentSource, tariff, processingReferenceNumber, phone, cardType.
        return pretty_json(obj.provider_details)
