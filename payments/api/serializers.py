"""Serializers of the payments API: separate input and output shapes for invoices."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from payments.models import CURRENCY, MAX_AMOUNT, PaymentInvoice, PaymentTransaction
from payments.selectors import invoice_checkout_urls
from vendhub_integrations.api.fields import DateTimeField, StrictCharField, StrictRegexField


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


class PaymentInvoiceSerializer(serializers.ModelSerializer):
    checkout_urls = serializers.SerializerMethodField(
        help_text="{integration code: checkout URL} for each Payme and Click integration that "
        "is not inactive; empty once the invoice is not pending."
    )
    expires_at = DateTimeField(read_only=True, allow_null=True)

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
