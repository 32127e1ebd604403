"""Paynet calls arriving at the same moment, on real PostgreSQL with one connection per thread:
the invoice row lock and the unique (provider, transactionId) index decide, exactly one wins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction, TransactionState
from payments.services import invoice_create
from payments.tests.paynet.calls import (
    ORDER,
    SERVICE_ID,
    TIYIN,
    error_code,
    paynet_integration,
    perform_params,
    rpc,
)
from payments.tests.test_races import SENDERS, at_once
from webhooks.models import Webhook


def perform_call(transaction_id: int, order: str = ORDER) -> Callable[[], Any]:
    return lambda: rpc(Client(), "PerformTransaction", perform_params(transaction_id, order=order))


@pytest.mark.django_db(transaction=True)
def test_different_transaction_ids_for_one_invoice_one_performs_the_rest_302(worker_broker_url):
    paynet_integration()
    invoice = invoice_create(order_id=ORDER, amount=TIYIN)
    answers = at_once([perform_call(1000 + n) for n in range(SENDERS)])
    codes = sorted(error_code(answer) or 0 for answer in answers)
    assert codes == [0] + [302] * (SENDERS - 1)
    payment = PaymentTransaction.objects.get()
    assert payment.state == TransactionState.PERFORMED
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.provider_transaction_id == payment.provider_transaction_id
    assert Webhook.objects.filter(event_type="payment.completed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_transaction_id_sent_many_times_at_once_performs_once_the_rest_201(worker_broker_url):
    paynet_integration()
    invoice_create(order_id=ORDER, amount=TIYIN)
    answers = at_once([perform_call(777)] * SENDERS)
    codes = sorted(error_code(answer) or 0 for answer in answers)
    assert codes == [0] + [201] * (SENDERS - 1)
    assert PaymentTransaction.objects.count() == 1
    assert Webhook.objects.filter(event_type="payment.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_transaction_id_for_different_invoices_at_once_the_index_decides(worker_broker_url):
    paynet_integration()
    for n in range(SENDERS):
        invoice_create(order_id=f"{ORDER}-{n}", amount=TIYIN)
    answers = at_once([perform_call(555, order=f"{ORDER}-{n}") for n in range(SENDERS)])
    codes = sorted(error_code(answer) or 0 for answer in answers)
    assert codes == [0] + [201] * (SENDERS - 1)
    assert PaymentTransaction.objects.count() == 1
    assert PaymentInvoice.objects.filter(status=InvoiceStatus.PAID).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_cancels_refund_once_the_rest_202(worker_broker_url):
    paynet_integration()
    invoice = invoice_create(order_id=ORDER, amount=TIYIN)
    assert "result" in perform_call(9)()
    params = {"serviceId": SERVICE_ID, "transactionId": 9}
    answers = at_once([lambda: rpc(Client(), "CancelTransaction", params)] * SENDERS)
    codes = sorted(error_code(answer) or 0 for answer in answers)
    assert codes == [0] + [202] * (SENDERS - 1)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUNDED
    assert Webhook.objects.filter(event_type="payment.cancelled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_provider_trn_ids_minted_at_once_are_all_different(worker_broker_url):
    paynet_integration()
    for n in range(SENDERS):
        invoice_create(order_id=f"{ORDER}-{n}", amount=TIYIN)
    answers = at_once([perform_call(3000 + n, order=f"{ORDER}-{n}") for n in range(SENDERS)])
    trn_ids = [answer["result"]["providerTrnId"] for answer in answers]
    assert len(set(trn_ids)) == SENDERS
