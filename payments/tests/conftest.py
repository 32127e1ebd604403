"""Fixtures of the payments tests: Payme and Click integrations, invoices, and a local Click
merchant API server with an integration that calls it."""

from __future__ import annotations

import pytest

from payments.tests.helpers import (
    AMOUNT,
    CLICK_MERCHANT_ID,
    CLICK_SECRET,
    CLICK_SERVICE_ID,
    ITEMS,
    ORDER_ID,
    PAYME_KEY,
    PAYME_MERCHANT,
    gateway_integration,
)


@pytest.fixture
def payme(db):
    return gateway_integration(
        code="payme",
        provider="payme",
        api_key=PAYME_MERCHANT,
        api_secret=PAYME_KEY,
    )


@pytest.fixture
def click(db):
    return gateway_integration(
        code="click",
        provider="click",
        api_secret=CLICK_SECRET,
        config={"service_id": int(CLICK_SERVICE_ID), "merchant_id": CLICK_MERCHANT_ID},
    )


@pytest.fixture
def invoice(db):
    from payments.tests.factories import PaymentInvoiceFactory

    return PaymentInvoiceFactory(order_id=ORDER_ID, amount=AMOUNT, description="Coffee machine #12")


@pytest.fixture
def click_server():
    from payments.tests.click_server import click_merchant_server

    with click_merchant_server() as server:
        yield server


@pytest.fixture
def click_api(db, click_server):
    """A Click integration that takes Shop API calls and calls the local merchant API server."""
    from payments.tests import click_server as fake

    return gateway_integration(
        code="click-pass",
        provider="click",
        api_secret=fake.SECRET,
        config={
            "service_id": fake.SERVICE_ID,
            "merchant_id": CLICK_MERCHANT_ID,
            "merchant_user_id": fake.USER_ID,
            "merchant_api_url": click_server.url,
            "tin": "301234567",
            "timeout": 800,
        },
    )


@pytest.fixture
def invoice_with_items(db):
    from payments.services import invoice_create

    return invoice_create(order_id="vm-07-0001", amount=1_200_000, items=ITEMS)
