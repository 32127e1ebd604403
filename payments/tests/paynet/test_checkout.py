"""Paynet's checkout link (gateways.md 2.5) in an invoice's ``checkout_urls`` and its QR code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from payments.services import invoice_create
from payments.tests.paynet.calls import CODE, DESCRIPTION, ORDER, TIYIN, paynet_integration
from payments.tests.test_checkout import decode, urls_of

pytestmark = pytest.mark.django_db

MERCHANT = "MRC-77"


@pytest.fixture
def invoice(db):
    return invoice_create(order_id=ORDER, amount=TIYIN, description=DESCRIPTION)


def test_the_link_of_gateways_2_5(api_client, invoice):
    paynet_integration(config={"service_id": 4321, "merchant_id": MERCHANT})
    url = urls_of(api_client, invoice)[CODE]
    assert url == f"https://app.paynet.uz/?m={MERCHANT}&c=VM07-20260115-0042&a=1200000"


def test_no_link_without_a_merchant_id(api_client, invoice):
    paynet_integration(config={"service_id": 4321})
    assert CODE not in urls_of(api_client, invoice)
    response = api_client.get(f"/api/payment-invoices/{invoice.id}/qr", {"integration": CODE})
    assert response.status_code == 404


def test_no_link_for_an_inactive_integration(api_client, invoice):
    paynet_integration(status="inactive", config={"service_id": 4321, "merchant_id": MERCHANT})
    assert CODE not in urls_of(api_client, invoice)


def test_values_are_url_encoded(api_client):
    invoice = invoice_create(order_id="a&b/ü?", amount=5)
    paynet_integration(config={"merchant_id": "m 1&x"})
    query = parse_qs(urlsplit(urls_of(api_client, invoice)[CODE]).query)
    assert query == {"m": ["m 1&x"], "c": ["a&b/ü?"], "a": ["5"]}


def test_deeplink_template_overrides_the_link(api_client, invoice):
    template = (
        "https://paynet.uz/qr?m={merchant_id}&s={service_id}&client_id={order_id}"
        "&amount={amount_som}&t={amount_tiyin}"
    )
    paynet_integration(
        config={"service_id": 4321, "merchant_id": MERCHANT, "deeplink_template": template}
    )
    assert urls_of(api_client, invoice)[CODE] == (
        "https://paynet.uz/qr?m=MRC-77&s=4321&client_id=VM07-20260115-0042"
        "&amount=12000.00&t=1200000"
    )


@pytest.mark.parametrize("template", ["https://x/{nope}", "https://x/{", "https://x/{0}"])
def test_a_broken_template_gives_the_built_in_link(api_client, invoice, template):
    paynet_integration(config={"merchant_id": MERCHANT, "deeplink_template": template})
    assert urls_of(api_client, invoice)[CODE].startswith("https://app.paynet.uz/?m=MRC-77&")


def test_qr_decodes_back_to_the_link(api_client, invoice):
    paynet_integration(config={"service_id": 4321, "merchant_id": MERCHANT})
    response = api_client.get(f"/api/payment-invoices/{invoice.id}/qr", {"integration": CODE})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert decode(response.content.decode()) == urls_of(api_client, invoice)[CODE]


def test_a_paid_invoice_has_no_link_and_no_qr(api_client, invoice, client):
    from payments.tests.paynet.calls import perform_params, rpc

    paynet_integration(config={"service_id": 4321, "merchant_id": MERCHANT})
    assert "result" in rpc(client, "PerformTransaction", perform_params())
    assert urls_of(api_client, invoice) == {}
    response = api_client.get(f"/api/payment-invoices/{invoice.id}/qr", {"integration": CODE})
    assert response.status_code == 409
