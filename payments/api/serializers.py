"""Serializers of the payments API: separate input and output shapes for invoices."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from core.api.fields import DateTimeField, StrictCharField, StrictRegexField
from payments.models import (
    CURRENCY,
    MAX_AMOUNT,
    FiscalReceipt,
    PaymentInvoice,
    PaymentTransaction,
)
from payments.selectors import invoice_checkout_urls


class StrictIntegerField(serializers.IntegerField):
    """An integer as JSON writes one (or digits in a form): never a float, a boolean or
    ``"1e3"``, which DRF's IntegerField would take."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, (bool, float)):
            self.fail("invalid")
        if isinstance(data, str) and not re.fullmatch(r"-?\d{1,19}", data.strip()):
            self.fail("invalid")
        if not isinstance(data, (int, str)):
            self.fail("invalid")
        return super().to_internal_value(data)


class InvoiceItemSerializer(serializers.Serializer):
    """One fiscal receipt line, as Payme's receipt wants it."""

    title = StrictCharField(max_length=255)
    price = StrictIntegerField(min_value=0, max_value=MAX_AMOUNT, help_text="Tiyin per unit.")
    count = StrictIntegerField(min_value=1, max_value=1_000_000)
    code = StrictRegexField(r"^\d{17}$", help_text="The 17-digit IKPU (MXIK) code of the goods.")
    package_code = StrictCharField(max_length=64)
    vat_percent = StrictIntegerField(min_value=0, max_value=100)


class PaymentInvoiceCreateSerializer(serializers.Serializer):
    order_id = StrictCharField(max_length=128, trim_whitespace=False)
    amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT, help_text="In tiyin.")
    currency = serializers.ChoiceField(choices=[CURRENCY], required=False, default=CURRENCY)
    description = StrictCharField(required=False, allow_blank=True, default="")
    # many=True hands max_length to the ListSerializer; the stubs' __init__ does not list it.
    items = InvoiceItemSerializer(many=True, required=False, max_length=500)  # type: ignore[call-arg]
    expires_at = DateTimeField(required=False, allow_null=True, default=None)


class FiscalReceiptSerializer(serializers.ModelSerializer):
    invoice_id = serializers.UUIDField(read_only=True)
    transaction_id = serializers.UUIDField(read_only=True)
    fiscalized_at = DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = FiscalReceipt
        fields = [
            "id",
            "invoice_id",
            "transaction_id",
            "provider",
            "kind",
            "status",
            "receipt_id",
            "terminal_id",
            "fiscal_sign",
            "qr_code_url",
            "fiscalized_at",
            "error_message",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PaymentInvoiceSerializer(serializers.ModelSerializer):
    checkout_urls = serializers.SerializerMethodField(
        help_text="{integration code: checkout URL} for each Payme and Click integration that "
        "is not inactive; empty once the invoice is not pending."
    )
    expires_at = DateTimeField(read_only=True, allow_null=True)
    fiscal_receipts = FiscalReceiptSerializer(many=True, read_only=True)

    class Meta:
        model = PaymentInvoice
        fields = [
            "id",
            "order_id",
            "amount",
            "currency",
            "status",
            "description",
            "paid_at",
            "provider",
            "provider_transaction_id",
            "created_at",
            "checkout_urls",
            "items",
            "expires_at",
            "fiscal_receipts",
        ]
        read_only_fields = fields

    def get_checkout_urls(self, invoice: PaymentInvoice) -> dict[str, str]:
        return invoice_checkout_urls(
            invoice=invoice, integrations=self.context.get("checkout_integrations")
        )


class PaymentTransactionSerializer(serializers.ModelSerializer):
    invoice_id = serializers.UUIDField(read_only=True)
    integration_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = PaymentTransaction
        fields = [
            "id",
            "provider",
            "provider_transaction_id",
            "invoice_id",
            "integration_id",
            "amount",
            "state",
            "create_time",
            "perform_time",
            "cancel_time",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class InvoiceConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.CharField()


class ScannedCodeField(serializers.RegexField):
    """The scanned text as a JSON string only. DRF's CharField would take a JSON number and turn
    it into digits: leading zeros gone, and an 18-digit code from a JavaScript client already
    rounded to a float's 17 digits, so Click would be sent another code than the one scanned."""

    default_error_messages = {"not_a_string": "Must be a string: the code exactly as scanned."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return str(super().to_internal_value(data))


class ClickPassRequestSerializer(serializers.Serializer):
    integration = serializers.CharField(max_length=64, help_text="The code of a Click integration.")
    otp_data = ScannedCodeField(
        r"^[0-9A-Za-z]{1,128}$",
        max_length=128,
        help_text="The Click Pass QR code as the scanner read it (one-time).",
    )
    cashbox_code = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="The machine."
    )


class ClickPassResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["paid", "processing", "failed"])
    payment_id = serializers.IntegerField(allow_null=True, help_text="Click's payment id.")
    error_note = serializers.CharField(allow_blank=True)
