"""Fixtures the Uzum tests share: the integration of gateways.md 1.6 and a pending order for it.
A file whose order is made otherwise (the state tests) keeps its own.

Models are imported inside the fixtures: pytest may load this file before Django is set up (when
a test file below is named on the command line)."""

from __future__ import annotations

import pytest


@pytest.fixture
def uzum(db):
    from payments.tests.uzum.helpers import uzum_integration

    return uzum_integration()


@pytest.fixture
def order(db):
    from payments.tests.factories import PaymentInvoiceFactory
    from payments.tests.uzum.helpers import AMOUNT, ORDER

    return PaymentInvoiceFactory(order_id=ORDER, amount=AMOUNT)
