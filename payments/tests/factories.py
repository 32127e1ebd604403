"""factory_boy factories for payments: invoices and the gateways' transactions against them."""

import factory

from core.testing.factories import ModelFactory
from integrations.tests.factories import IntegrationFactory
from payments.models import PaymentInvoice, PaymentTransaction, TransactionState


class PaymentInvoiceFactory(ModelFactory[PaymentInvoice]):
    class Meta:
        model = PaymentInvoice

    order_id = factory.Sequence(lambda n: f"order-{n}")
    amount = 150_000  # tiyin: 1500.00 soums


class PaymentTransactionFactory(ModelFactory[PaymentTransaction]):
    class Meta:
        model = PaymentTransaction

    integration = factory.SubFactory(
        IntegrationFactory, type="payment_gateway", provider="payme", code="payme"
    )
    provider = factory.LazyAttribute(lambda o: o.integration.provider)
    provider_transaction_id = factory.Sequence(lambda n: f"transaction-{n}")
    invoice = factory.SubFactory(PaymentInvoiceFactory)
    amount = factory.LazyAttribute(lambda o: o.invoice.amount)
    state = TransactionState.CREATED
