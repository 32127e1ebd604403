"""FilterSets behind the invoice, transaction and fiscal receipt list endpoints and selectors."""

import django_filters

from core.api.filters import CreatedRangeFilterSet, IntegrationIdFilter
from payments.models import FiscalReceipt, PaymentInvoice, PaymentTransaction


class PaymentInvoiceFilter(CreatedRangeFilterSet):
    class Meta:
        model = PaymentInvoice
        fields = ["status", "order_id", "provider"]


class PaymentTransactionFilter(CreatedRangeFilterSet):
    invoice = django_filters.UUIDFilter(field_name="invoice_id", label="Invoice id")
    integration = IntegrationIdFilter()

    class Meta:
        model = PaymentTransaction
        fields = ["provider", "state", "invoice", "integration"]


class FiscalReceiptFilter(CreatedRangeFilterSet):
    invoice = django_filters.UUIDFilter(field_name="invoice_id", label="Invoice id")

    class Meta:
        model = FiscalReceipt
        fields = ["invoice", "provider", "status", "kind"]
