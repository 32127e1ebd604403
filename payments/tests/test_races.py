"""Gateway calls arriving at the same moment: the invoice row lock decides, exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from payments.models import InvoiceStatus, PaymentTransaction
from payments.tests.helpers import AMOUNT, ORDER_ID, click_call, click_fields, payme_call
from webhooks.models import Webhook

SENDERS = 8


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = calls[index]()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return answers


def create_call(code: str, payme_id: str) -> Callable[[], Any]:
    params = {
        "id": payme_id,
        "time": 1_700_000_000_000,
        "amount": AMOUNT,
        "account": {"order_id": ORDER_ID},
    }
    return lambda: payme_call(Client(), code, "CreateTransaction", params)


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_different_ids_one_wins(payme, invoice, worker_broker_url):
    answers = at_once([create_call(payme.code, f"{n:024d}") for n in range(SENDERS)])
    codes = sorted(answer.get("error", {}).get("code", 0) for answer in answers)
    assert codes == [-31008] * (SENDERS - 1) + [0]
    assert PaymentTransaction.objects.count() == 1
    assert Webhook.objects.filter(event_type="payment.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_creates_make_one_transaction(payme, invoice, worker_broker_url):
    answers = at_once([create_call(payme.code, "5305e3bab097f420a62ced0b")] * SENDERS)
    assert all("result" in answer for answer in answers), answers
    assert len({str(answer["result"]) for answer in answers}) == 1
    assert PaymentTransaction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_payme_and_click_for_one_invoice_one_wins(
    payme, click, invoice, worker_broker_url
):
    calls: list[Callable[[], Any]] = []
    for n in range(SENDERS // 2):
        calls.append(create_call(payme.code, f"{n:024d}"))
        fields = click_fields(0, click_trans_id=str(9000 + n))

        def click_send(fields: dict[str, Any] = fields) -> dict[str, Any]:
            return click_call(Client(), click.code, fields)

        calls.append(click_send)
    answers = at_once(calls)
    successes = [answer for answer in answers if "result" in answer or answer.get("error") == 0]
    assert len(successes) == 1
    assert PaymentTransaction.objects.filter(state=1).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_performs_pay_once(payme, invoice, worker_broker_url):
    payme_id = "5305e3bab097f420a62ced0b"
    create_call(payme.code, payme_id)()
    perform = lambda: payme_call(Client(), payme.code, "PerformTransaction", {"id": payme_id})  # noqa: E731
    answers = at_once([perform] * SENDERS)
    assert len({str(answer["result"]) for answer in answers}) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Webhook.objects.filter(event_type="payment.completed").count() == 1
