"""Fixtures the Uzum tests share: the integration of gateways.md 1.6 and a pending order for it.
A file whose order is made otherwise (the state tests) keeps its own."""

from __future__ import annotations

import pytest

from payments.tests.factories import PaymentInvoiceFactory
from payments.tests.uzum.helpers import AMOUNT, ORDER, uzum_integration


@pytest.fixture
def uzum(db):
    return uzum_integration()


@pytest.fixture
def order(db):
    return PaymentInvoiceFactory(order_id=ORDER, amount=AMOUNT)
