"""Uzum payments where operators look: the transaction admin beside Payme's and Click's (list,
provider filter, the /confirm extras on the change page), the dashboard's "Payments today" and
the ``vendhub_payment_transactions`` metric, all generic over providers."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from payments.models import PaymentTransaction
from payments.services import invoice_create
from payments.tests.helpers import AMOUNT as PAYME_AMOUNT
from payments.tests.helpers import ORDER_ID, payme_call
from payments.tests.uzum.helpers import AMOUNT, ORDER, TRANS_ID, body, uzum_integration, uzum_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_by_uzum(client):
    uzum_integration()
    invoice_create(order_id=ORDER, amount=AMOUNT)
    for operation in ("create", "confirm"):
        assert uzum_post(client, operation, body(operation))[0] == 200
    return PaymentTransaction.objects.get(provider="uzum")


def test_transaction_admin_lists_uzum_beside_payme(admin_client, client, payme, paid_by_uzum):
    invoice_create(order_id=ORDER_ID, amount=PAYME_AMOUNT)
    params = {"id": "k" * 24, "time": 1, "amount": PAYME_AMOUNT, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    listing = admin_client.get("/admin/payments/paymenttransaction/").content.decode()
    assert TRANS_ID in listing and "k" * 24 in listing
    only_uzum = admin_client.get(
        "/admin/payments/paymenttransaction/", {"provider__exact": "uzum"}
    ).content.decode()
    assert TRANS_ID in only_uzum and "k" * 24 not in only_uzum
    page = admin_client.get(
        f"/admin/payments/paymenttransaction/{paid_by_uzum.id}/change/"
    ).content.decode()
    for shown in ("Gateway details", "paymentSource", "UZCARD", "601512345678", "998901234567"):
        assert shown in page


def test_dashboard_and_metrics_count_uzum(admin_client, api_client, paid_by_uzum):
    dashboard = admin_client.get("/admin/").content.decode()
    assert 'data-provider="uzum" data-state="2"><td>uzum</td>' in dashboard
    text = api_client.get("/metrics").content.decode()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    key = frozenset({"provider": "uzum", "state": "performed"}.items())
    assert samples[("vendhub_payment_transactions", key)] == 1
