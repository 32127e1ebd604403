"""Fixtures the Paynet tests share: the worked exchange's integration and its pending invoice
(gateways.md 2.6). A file whose invoice is made otherwise (the checkout tests) keeps its own."""

from __future__ import annotations

import pytest

from payments.models import PaymentInvoice
from payments.tests.factories import PaymentInvoiceFactory
from payments.tests.paynet.calls import DESCRIPTION, ORDER, TIYIN, paynet_integration


@pytest.fixture
def paynet(db):
    return paynet_integration()


@pytest.fixture
def invoice(db) -> PaymentInvoice:
    return PaymentInvoiceFactory(order_id=ORDER, amount=TIYIN, description=DESCRIPTION)
