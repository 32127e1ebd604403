"""Uzum's checkout link (gateways.md 1.5) in an invoice's ``checkout_urls``, its override by
``config.deeplink_template``, and the QR code that decodes back to it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.models import IntegrationStatus
from payments.checkout import uzum_checkout_url
from payments.services import invoice_create
from payments.tests.test_checkout import decode, urls_of
from payments.tests.uzum.helpers import UZUM_CODE, uzum_integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def vm07_invoice(db):
    return invoice_create(order_id="VM07-20260115-0042", amount=1_200_000)


def test_documented_link(api_client, vm07_invoice):
    uzum_integration()
    assert urls_of(api_client, vm07_invoice)[UZUM_CODE] == (
        "https://www.uzumbank.uz/open-service?serviceId=101202"
        "&order_id=VM07-20260115-0042&amount=1200000"
    )


def test_values_are_url_encoded_and_account_field_names_the_key(vm07_invoice):
    uzum = uzum_integration(config={"account_field": "invoice no"})
    odd = invoice_create(order_id="A&B/ü?#1", amount=5)
    url = uzum_checkout_url(integration=uzum, invoice=odd)
    parts = urlsplit(url)
    assert " " not in url and "ü" not in url
    assert parse_qs(parts.query) == {
        "serviceId": ["101202"],
        "invoice no": ["A&B/ü?#1"],
        "amount": ["5"],
    }


def test_deeplink_template_overrides(api_client, vm07_invoice):
    uzum_integration(
        config={
            "deeplink_template": "https://uzumbank.uz/uzumbank/merchant/deeplink?type=pay"
            "&id={service_id}&order={order_id}&sum={amount_som}&t={amount_tiyin}"
        }
    )
    assert urls_of(api_client, vm07_invoice)[UZUM_CODE] == (
        "https://uzumbank.uz/uzumbank/merchant/deeplink?type=pay&id=101202"
        "&order=VM07-20260115-0042&sum=12000.00&t=1200000"
    )


def test_a_template_with_an_unknown_placeholder_gives_the_built_in_link(api_client, vm07_invoice):
    uzum_integration(config={"deeplink_template": "https://uzumbank.uz/p?x={unknown}"})
    assert urls_of(api_client, vm07_invoice)[UZUM_CODE].startswith(
        "https://www.uzumbank.uz/open-service?serviceId=101202&"
    )


def test_template_placeholders_are_encoded(vm07_invoice):
    uzum = uzum_integration(config={"deeplink_template": "https://x.uz/p/{order_id}"})
    odd = invoice_create(order_id="a/b&c", amount=5)
    assert uzum_checkout_url(integration=uzum, invoice=odd) == "https://x.uz/p/a%2Fb%26c"


def test_only_live_uzum_integrations_that_are_not_inactive(api_client, vm07_invoice):
    uzum_integration()
    uzum_integration(code="uzum-off", status=IntegrationStatus.INACTIVE)
    assert set(urls_of(api_client, vm07_invoice)) == {UZUM_CODE}


def test_qr_decodes_back_to_the_link(api_client, vm07_invoice):
    uzum_integration()
    response = api_client.get(
        f"/api/payment-invoices/{vm07_invoice.id}/qr", {"integration": UZUM_CODE}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert decode(response.content.decode()) == urls_of(api_client, vm07_invoice)[UZUM_CODE]


def test_admin_invoice_page_shows_the_uzum_link(admin_client, vm07_invoice):
    uzum_integration()
    page = admin_client.get(
        f"/admin/payments/paymentinvoice/{vm07_invoice.id}/change/"
    ).content.decode()
    assert "https://www.uzumbank.uz/open-service?serviceId=101202" in page
    assert page.count('class="segno"') == 1
