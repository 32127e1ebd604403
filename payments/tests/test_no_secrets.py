"""No stored credential or Authorization value in integration logs, API responses or admin
pages of the payments app."""

from __future__ import annotations

import base64

import pytest

from integrations.models import IntegrationLog
from payments.models import PaymentInvoice
from payments.tests.helpers import (
    AMOUNT,
    CLICK_SECRET,
    ORDER_ID,
    PAYME_KEY,
    basic,
    click_call,
    click_fields,
    payme_call,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def traffic(client, payme, click, invoice):
    """A paid Payme invoice, a Click one, failed auth on both."""
    params = {"id": "h" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    payme_call(client, payme.code, "PerformTransaction", {"id": "h" * 24})
    payme_call(client, payme.code, "CheckTransaction", {"id": "h" * 24}, key="guess")
    from payments.services import invoice_create

    invoice_create(order_id="c-1", amount=AMOUNT)
    prepared = click_call(client, click.code, click_fields(0, order_id="c-1"))
    click_call(
        client,
        click.code,
        click_fields(1, order_id="c-1", merchant_prepare_id=prepared["merchant_prepare_id"]),
    )
    click_call(client, click.code, click_fields(0, order_id="c-1", secret="guess"))
    return payme, click


def forbidden() -> list[str]:
    return [PAYME_KEY, CLICK_SECRET, basic(PAYME_KEY), basic(PAYME_KEY).split()[1]]


def test_integration_logs_hold_no_credential(traffic):
    logs = IntegrationLog.objects.all()
    assert logs.count() == 6
    for log in logs:
        text = (
            f"{log.endpoint}{log.request_data}{log.response_data}{log.error_message}{log.metadata}"
        )
        for secret in forbidden():
            assert secret not in text


def test_api_responses_hold_no_credential(traffic, api_client):
    pages = []
    for url in [
        "/api/payment-invoices",
        "/api/payment-transactions",
        "/api/integration-logs",
        "/api/webhooks",
        *(f"/api/payment-invoices/{invoice.id}" for invoice in PaymentInvoice.objects.all()),
    ]:
        response = api_client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert len(IntegrationLog.objects.all()) == 6
    assert "payme.PerformTransaction" in "".join(pages)
    for page in pages:
        for secret in forbidden():
            assert secret not in page


def test_admin_pages_hold_no_credential(traffic, admin_client):
    invoice = PaymentInvoice.objects.get(order_id="c-1")
    from payments.services import invoice_create

    pending = invoice_create(order_id="pending-1", amount=AMOUNT)
    pages = []
    for url in [
        "/admin/payments/paymentinvoice/",
        "/admin/payments/paymenttransaction/",
        f"/admin/payments/paymentinvoice/{pending.id}/change/",
        f"/admin/payments/paymentinvoice/{invoice.id}/change/",
        "/admin/integrations/integrationlog/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert 'class="segno"' in pages[2]
    for page in pages:
        for secret in forbidden():
            assert secret not in page
    assert base64.b64encode(PAYME_KEY.encode()).decode() not in "".join(pages)
