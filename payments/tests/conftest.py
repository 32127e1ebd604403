"""Fixtures of the payments tests: Payme and Click integrations, invoices, a local Click merchant
API server with an integration that calls it, and the four integrations gateway_check runs
against (codes <provider>-vm07)."""

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
    PAYNET_SECRET,
    UZUM_SECRET,
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


@pytest.fixture
def payme_integration():
    return gateway_integration(
        code="payme-vm07", provider="payme", api_key=PAYME_MERCHANT, api_secret=PAYME_KEY
    )


@pytest.fixture
def click_integration():
    return gateway_integration(
        code="click-vm07",
        provider="click",
        api_secret=CLICK_SECRET,
        config={"service_id": int(CLICK_SERVICE_ID), "merchant_id": CLICK_MERCHANT_ID},
    )


@pytest.fixture
def uzum_gateway():
    return gateway_integration(
        code="uzum-vm07",
        provider="uzum",
        api_key="uzum-vm07",
        api_secret=UZUM_SECRET,
        config={"service_id": 101202},
    )


@pytest.fixture
def paynet_gateway():
    return gateway_integration(
        code="paynet-vm07",
        provider="paynet",
        api_key="paynet-vm07",
        api_secret=PAYNET_SECRET,
        config={"service_id": 4321},
    )
