"""Uzum calls arriving at the same moment, on real PostgreSQL with one connection per thread: the
invoice row lock and the unique indexes decide, exactly one wins, nobody is debited twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from payments.models import InvoiceStatus, PaymentTransaction
from payments.services import invoice_create
from payments.tests.helpers import click_call, click_fields
from payments.tests.test_races import SENDERS, at_once
from payments.tests.uzum.helpers import AMOUNT, ORDER, TRANS_ID, body, uzum_integration, uzum_post
from webhooks.models import Webhook


def uzum_call(operation: str, **fields: Any) -> Callable[[], tuple[int, dict[str, Any]]]:
    return lambda: uzum_post(Client(), operation, body(operation, **fields))


def codes(answers: list[tuple[int, dict[str, Any]]]) -> list[str]:
    return sorted(answer.get("errorCode", str(status)) for status, answer in answers)


@pytest.mark.django_db(transaction=True)
def test_two_creates_with_different_trans_ids_one_wins(worker_broker_url):
    uzum_integration()
    invoice_create(order_id=ORDER, amount=AMOUNT)
    answers = at_once([uzum_call("create", transId=str(uuid.uuid4())) for _ in range(2)])
    assert codes(answers) == ["10008", "200"]
    assert PaymentTransaction.objects.filter(state=1).count() == 1
    assert Webhook.objects.filter(event_type="payment.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_many_creates_with_different_trans_ids_one_wins(worker_broker_url):
    uzum_integration()
    invoice_create(order_id=ORDER, amount=AMOUNT)
    answers = at_once([uzum_call("create", transId=str(uuid.uuid4())) for _ in range(SENDERS)])
    assert codes(answers) == ["10008"] * (SENDERS - 1) + ["200"]
    assert PaymentTransaction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_identical_creates_make_one_transaction_the_rest_10010(worker_broker_url):
    uzum_integration()
    invoice_create(order_id=ORDER, amount=AMOUNT)
    answers = at_once([uzum_call("create")] * SENDERS)
    assert codes(answers) == ["10010"] * (SENDERS - 1) + ["200"]
    assert PaymentTransaction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_trans_id_for_two_invoices_at_once(worker_broker_url):
    uzum_integration()
    invoice_create(order_id=ORDER, amount=AMOUNT)
    invoice_create(order_id="twin-2", amount=AMOUNT)
    answers = at_once([uzum_call("create"), uzum_call("create", params={"order_id": "twin-2"})] * 2)
    assert codes(answers) == ["10010"] * 3 + ["200"]
    assert PaymentTransaction.objects.filter(provider_transaction_id=TRANS_ID).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_pay_once(worker_broker_url):
    uzum_integration()
    order = invoice_create(order_id=ORDER, amount=AMOUNT)
    assert uzum_call("create")()[0] == 200
    answers = at_once([uzum_call("confirm")] * SENDERS)
    assert codes(answers) == ["10016"] * (SENDERS - 1) + ["200"]
    order.refresh_from_db()
    assert order.status == InvoiceStatus.PAID
    assert Webhook.objects.filter(event_type="payment.completed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_confirm_against_reverse(worker_broker_url):
    """Whichever takes the lock first decides; the other sees its result."""
    uzum_integration()
    order = invoice_create(order_id=ORDER, amount=AMOUNT)
    assert uzum_call("create")()[0] == 200
    answers = at_once([uzum_call("confirm"), uzum_call("reverse")])
    order.refresh_from_db()
    payment = PaymentTransaction.objects.get()
    if answers[0][0] == 200:  # confirmed, then refunded
        assert answers[1][0] == 200
        assert (payment.state, order.status) == (-2, InvoiceStatus.REFUNDED)
    else:  # reversed first: the confirm is refused
        assert answers[0][1]["errorCode"] == "10015"
        assert (payment.state, order.status) == (-1, InvoiceStatus.PENDING)


@pytest.mark.django_db(transaction=True)
def test_uzum_and_click_for_one_invoice_one_wins(invoice, worker_broker_url):
    uzum_integration()
    from payments.tests.helpers import CLICK_SECRET, CLICK_SERVICE_ID, gateway_integration

    click = gateway_integration(
        code="click",
        provider="click",
        api_secret=CLICK_SECRET,
        config={"service_id": int(CLICK_SERVICE_ID)},
    )
    calls: list[Callable[[], Any]] = []
    for n in range(SENDERS // 2):
        calls.append(
            uzum_call(
                "create",
                transId=str(uuid.uuid4()),
                params={"order_id": invoice.order_id},
                amount=invoice.amount,
            )
        )
        fields = click_fields(0, click_trans_id=str(7000 + n))

        def click_send(fields: dict[str, Any] = fields) -> dict[str, Any]:
            return click_call(Client(), click.code, fields)

        calls.append(click_send)
    answers = at_once(calls)
    uzum_wins = sum(1 for answer in answers if isinstance(answer, tuple) and answer[0] == 200)
    click_wins = sum(1 for answer in answers if isinstance(answer, dict) and answer["error"] == 0)
    assert uzum_wins + click_wins == 1
    assert PaymentTransaction.objects.filter(state=1).count() == 1
