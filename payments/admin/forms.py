"""The invoice admin's add form: what ``POST /api/payment-invoices`` takes, checked the same way
(the items by the API's serializer, the expiry by the service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from payments.models import PaymentInvoice
from payments.services import invoice_check_expires_at


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
