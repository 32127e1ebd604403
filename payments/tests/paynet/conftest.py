"""Fixtures the Paynet tests share: the worked exchange's integration and its pending invoice
(gateways.md 2.6). A file whose invoice is made otherwise (the checkout tests) keeps its own.

Models are imported inside the fixtures: pytest may load this file before Django is set up (when
a test file below is named on the command line)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from payments.models import PaymentInvoice


@pytest.fixture
def paynet(db):
    from payments.tests.paynet.calls import paynet_integration

    return paynet_integration()


@pytest.fixture
def invoice(db) -> PaymentInvoice:
    from payments.tests.factories import PaymentInvoiceFactory
    from payments.tests.paynet.calls import DESCRIPTION, ORDER, TIYIN

    return PaymentInvoiceFactory(order_id=ORDER, amount=TIYIN, description=DESCRIPTION)
