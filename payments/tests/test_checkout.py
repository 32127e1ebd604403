"""Checkout links of an invoice, and the QR code that decodes back to the link."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp

from integrations.models import IntegrationStatus
from integrations.services import integration_delete
from payments.checkout import soums
from payments.models import InvoiceStatus, PaymentInvoice
from payments.tests.helpers import AMOUNT, ORDER_ID, PAYME_MERCHANT, gateway_integration

pytestmark = pytest.mark.django_db


def urls_of(api_client, invoice):
    return api_client.get(f"/api/payment-invoices/{invoice.id}").json()["checkout_urls"]


def test_payme_link(api_client, payme, invoice):
    url = urls_of(api_client, invoice)["payme"]
    assert url.startswith("https://checkout.paycom.uz/")
    encoded = url.removeprefix("https://checkout.paycom.uz/")
    assert base64.b64decode(encoded).decode() == (
        f"m={PAYME_MERCHANT};ac.order_id={ORDER_ID};a={AMOUNT}"
    )


def test_payme_test_mode_account_field_and_return_url(api_client, payme, invoice):
    payme.config = {"test_mode": True, "account_field": "invoice", "return_url": "https://v.uz/ok"}
    payme.save()
    url = urls_of(api_client, invoice)["payme"]
    assert url.startswith("https://checkout.test.paycom.uz/")
    decoded = base64.b64decode(url.removeprefix("https://checkout.test.paycom.uz/")).decode()
    assert decoded == f"m={PAYME_MERCHANT};ac.invoice={ORDER_ID};a={AMOUNT};c=https://v.uz/ok"


def test_click_link(api_client, click, invoice):
    click.config = {**click.config, "return_url": "https://v.uz/done?order=1&x=a b"}
    click.save()
    url = urls_of(api_client, invoice)["click"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://my.click.uz/services/pay"
    assert " " not in url
    assert parse_qs(parts.query) == {
        "service_id": ["28420"],
        "merchant_id": ["11235"],
        "amount": ["1500.00"],
        "transaction_param": [ORDER_ID],
        "return_url": ["https://v.uz/done?order=1&x=a b"],
    }
    assert list(parse_qs(parts.query)) == [
        "service_id",
        "merchant_id",
        "amount",
        "transaction_param",
        "return_url",
    ]


@pytest.mark.parametrize(("tiyin", "text"), [(150_000, "1500.00"), (5, "0.05"), (1001, "10.01")])
def test_soums_have_two_decimals(tiyin, text):
    assert soums(tiyin) == text


def test_only_live_not_inactive_gateway_integrations_have_links(api_client, payme, click, invoice):
    gateway_integration(code="payme-off", provider="payme", status=IntegrationStatus.INACTIVE)
    deleted = gateway_integration(code="click-gone", provider="click")
    integration_delete(integration=deleted)
    gateway_integration(code="erp", provider="rest")
    gateway_integration(code="click-testing", provider="click", status=IntegrationStatus.TESTING)
    assert set(urls_of(api_client, invoice)) == {"payme", "click", "click-testing"}


def test_a_paid_invoice_has_no_links(api_client, payme, invoice):
    PaymentInvoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID)
    assert urls_of(api_client, invoice) == {}


def svg_to_pixels(svg: str) -> tuple[bytes, int]:
    """Draw segno's SVG path (horizontal runs of dark modules) into a grey-scale bitmap, so the
    decoder reads what the endpoint served, not a matrix computed again in the test."""
    size_match = re.search(r'width="(\d+)" height="(\d+)"', svg)
    assert size_match is not None
    width, height = (int(n) for n in size_match.groups())
    if "scale(" in svg:
        scale_match = re.search(r"scale\((\d+)\)", svg)
        assert scale_match is not None
        scale = int(scale_match.group(1))
    else:
        scale = 1
    path_match = re.search(r' d="([^"]+)"', svg)
    assert path_match is not None
    path = path_match.group(1)
    size = width // scale
    pixels = bytearray([255]) * (size * size)
    x = y = 0.0
    for command, a, b in re.findall(r"([MmHhVv])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        elif command in "hH":
            length = float(a) if command == "h" else float(a) - x
            row = int(y)
            for column in range(int(x), int(x + length)):
                pixels[row * size + column] = 0
            x += length
    factor = 4
    big = bytearray()
    for row in range(size):
        line = bytes(pixels[row * size + column] for column in range(size) for _ in range(factor))
        big += line * factor
    assert height // scale == size
    return bytes(big), size * factor


def decode(svg: str) -> str | None:
    pixels, side = svg_to_pixels(svg)
    # The view does not copy the buffer: ``pixels`` must outlive the read.
    image = zxingcpp.ImageView(pixels, side, side, zxingcpp.ImageFormat.Lum)
    result = zxingcpp.read_barcode(image)
    return result.text if result is not None else None


@pytest.mark.parametrize("code", ["payme", "click"])
def test_qr_decodes_back_to_the_checkout_link(api_client, payme, click, invoice, code):
    response = api_client.get(f"/api/payment-invoices/{invoice.id}/qr", {"integration": code})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg")
    assert decode(svg) == urls_of(api_client, invoice)[code]


def test_qr_accepts_an_svg_accept_header(api_client, payme, invoice):
    response = api_client.get(
        f"/api/payment-invoices/{invoice.id}/qr?integration=payme", HTTP_ACCEPT="image/svg+xml"
    )
    assert response.status_code == 200


def test_qr_errors(api_client, payme, invoice):
    base = f"/api/payment-invoices/{invoice.id}/qr"
    assert api_client.get(base, {"integration": "nope"}).status_code == 404
    assert api_client.get(base).status_code == 400
    missing = "/api/payment-invoices/00000000-0000-0000-0000-000000000000/qr"
    assert api_client.get(missing, {"integration": "payme"}).status_code == 404
    PaymentInvoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.CANCELLED)
    assert api_client.get(base, {"integration": "payme"}).status_code == 409
