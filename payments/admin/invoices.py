"""The invoice admin: invoices are created through the same service as the API and otherwise
only read (status, checkout links with their QR codes, the transactions and fiscal receipts);
cancel and refund are list actions and buttons (``actions``)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from integrations.admin.base import ObjectButton, ObjectButtonsMixin, pretty_json
from payments.admin.actions import cancel_invoice, cancel_selected, refund_invoice, refund_selected
from payments.admin.forms import PaymentInvoiceAddForm
from payments.admin.receipts import receipt_card
from payments.admin.transactions import PaymentTransactionInline
from payments.checkout import qr_svg, soums
from payments.models import InvoiceStatus, PaymentInvoice
from payments.selectors import invoice_checkout_urls, invoice_click_pass_refundable
from payments.services import invoice_create

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups


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
    actions = [cancel_selected, refund_selected]
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
                run=partial(cancel_invoice, self),
                applies=lambda invoice: invoice.status == InvoiceStatus.PENDING,
                confirm="The invoice can no longer be paid; a payment in flight on it is "
                "cancelled too.",
            ),
            ObjectButton(
                name="refund",
                label="Refund Click Pass payment",
                action="refund_selected",
                run=partial(refund_invoice, self),
                applies=invoice_click_pass_refundable,
                confirm="Click reverses the charge and the money goes back to the customer's "
                "card or wallet; the invoice becomes refunded.",
            ),
        ]

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
