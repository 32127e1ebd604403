"""Gateway transactions in the admin: their read-only history, and the table of them on their
invoice's page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from integrations.admin.base import HistoryAdmin, pretty_json
from payments.models import PaymentTransaction

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
