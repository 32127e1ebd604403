"""The invoice admin's operator actions, each a thin door to the service the API uses too: cancel
(a pending invoice can no longer be paid) and refund (Click reverses a paid Click Pass charge).
Each is a list action and, for one invoice, a button on its page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from payments.models import PaymentInvoice
from payments.services import (
    ClickPassConflict,
    InvoiceNotCancellable,
    click_pass_refund,
    invoice_cancel,
)


def refund_invoice(
    modeladmin: admin.ModelAdmin[PaymentInvoice], request: HttpRequest, invoice: PaymentInvoice
) -> None:
    """The refund button: one invoice, the outcome told in a message."""
    try:
        click_pass_refund(invoice=invoice)
    except ClickPassConflict as error:
        modeladmin.message_user(request, str(error), messages.WARNING)
    else:
        modeladmin.message_user(request, f"Invoice {invoice.order_id} refunded.")


@admin.action(description="Refund selected Click Pass payments", permissions=["refund"])
def refund_selected(
    modeladmin: admin.ModelAdmin[PaymentInvoice],
    request: HttpRequest,
    queryset: QuerySet[PaymentInvoice],
) -> None:
    refunded, refused = 0, []
    for invoice in queryset:
        try:
            click_pass_refund(invoice=invoice)
        except ClickPassConflict as error:
            refused.append(f"{invoice.order_id}: {error}")
        else:
            refunded += 1
    modeladmin.message_user(
        request,
        f"Refunded {refunded} invoice(s)."
        + (" Not refunded: " + "; ".join(refused) if refused else ""),
        messages.SUCCESS if refunded and not refused else messages.WARNING,
    )


def cancel_invoice(
    modeladmin: admin.ModelAdmin[PaymentInvoice], request: HttpRequest, invoice: PaymentInvoice
) -> None:
    """The cancel button: one invoice, the outcome told in a message."""
    try:
        invoice_cancel(invoice=invoice)
    except InvoiceNotCancellable as error:
        modeladmin.message_user(request, str(error), messages.WARNING)
    else:
        modeladmin.message_user(request, f"Invoice {invoice.order_id} cancelled.")


@admin.action(description="Cancel selected invoices (pending ones)", permissions=["cancel"])
def cancel_selected(
    modeladmin: admin.ModelAdmin[PaymentInvoice],
    request: HttpRequest,
    queryset: QuerySet[PaymentInvoice],
) -> None:
    cancelled = skipped = 0
    for invoice in queryset:
        try:
            invoice_cancel(invoice=invoice)
        except InvoiceNotCancellable:
            skipped += 1
        else:
            cancelled += 1
    modeladmin.message_user(
        request,
        f"Cancelled {cancelled} invoice(s); skipped {skipped} paid or refunded.",
        messages.SUCCESS if cancelled else messages.WARNING,
    )
