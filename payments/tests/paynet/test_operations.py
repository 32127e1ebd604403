"""Paynet payments where operators look: the admin's transaction list (beside Payme and Click),
the dashboard's "Payments today" and ``/metrics``."""

from __future__ import annotations

import re

import pytest

from payments.models import PaymentTransaction
from payments.services import invoice_create
from payments.tests.paynet.calls import (
    DESCRIPTION,
    ORDER,
    SERVICE_ID,
    TIYIN,
    paynet_integration,
    perform_params,
    rpc,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client):
    paynet_integration()
    invoice_create(order_id=ORDER, amount=TIYIN, description=DESCRIPTION)
    invoice_create(order_id="second", amount=TIYIN)
    assert "result" in rpc(client, "PerformTransaction", perform_params())
    assert "result" in rpc(client, "PerformTransaction", perform_params(2, order="second"))
    params = {"serviceId": SERVICE_ID, "transactionId": 2}
    assert "result" in rpc(client, "CancelTransaction", params)
    return PaymentTransaction.objects.get(provider_transaction_id="884120371")


def test_the_admin_lists_and_filters_paynet_transactions(paid, admin_client):
    body = admin_client.get("/admin/payments/paymenttransaction/?provider__exact=paynet").content
    text = body.decode()
    assert "884120371" in text and ORDER in text
    assert 'provider__exact=paynet"' in text  # the provider filter offers Paynet
    page = admin_client.get(f"/admin/payments/paymenttransaction/{paid.pk}/change/")
    assert str(paid.provider_trn_id) in page.content.decode()


def test_the_dashboard_counts_paynet_payments_of_the_day(paid, admin_client):
    body = admin_client.get("/admin/").content.decode()
    performed = re.search(r'<tr data-provider="paynet" data-state="2">(.*?)</tr>', body)
    assert performed and "<td>1</td><td>12000</td>" in performed.group(1)
    assert '<tr data-provider="paynet" data-state="-2">' in body


def test_metrics_count_paynet_transactions(paid, api_client):
    text = api_client.get("/metrics").content.decode()
    assert 'vendhub_payment_transactions{provider="paynet",state="performed"} 1' in text
    cancelled = 'vendhub_payment_transactions{provider="paynet",state="cancelled_after_perform"} 1'
    assert cancelled in text
