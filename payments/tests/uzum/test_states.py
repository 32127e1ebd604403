"""The state machine of gateways.md 1.4, row by row: hub state, invoice, emitted event; the
30-minute window failing a created transaction lazily (/confirm, /status) and in the beat sweep,
and the one-active-transaction rule across gateways once an Uzum transaction has failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.services import invoice_create, uzum_transactions_expire
from payments.services.events import now_ms
from payments.tasks import cancel_expired_invoices
from payments.tests.helpers import payme_call
from payments.tests.uzum.helpers import (
    AMOUNT,
    ORDER,
    TRANS_ID,
    body,
    error_of,
    uzum_integration,
    uzum_post,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(db):
    return invoice_create(order_id=ORDER, amount=AMOUNT)


def call(client, operation: str, **fields):
    return uzum_post(client, operation, body(operation, **fields))


def events() -> list[tuple[str, int]]:
    return [
        (event_type, payload["state"])
        for event_type, payload in Webhook.objects.order_by("created_at").values_list(
            "event_type", "payload"
        )
    ]


def state(order: PaymentInvoice) -> tuple[int, int | None, str]:
    payment = PaymentTransaction.objects.get()
    order.refresh_from_db()
    return payment.state, payment.reason, order.status


def test_create_holds_the_invoice(client, uzum, order):
    with time_machine.travel(timezone.now(), tick=False):
        status, answer = call(client, "create")
        assert answer["transTime"] == now_ms()
    assert status == 200
    assert state(order) == (1, None, "pending")
    assert PaymentTransaction.objects.get().create_time == answer["transTime"]
    assert events() == [("payment.created", 1)]
    payload = Webhook.objects.get().payload
    assert payload["provider"] == "uzum"
    assert payload["provider_transaction_id"] == TRANS_ID
    assert payload["order_id"] == ORDER
    assert payload["amount"] == AMOUNT


def test_confirm_pays(client, uzum, order):
    call(client, "create")
    status, answer = call(client, "confirm")
    assert (status, answer["status"]) == (200, "CONFIRMED")
    assert state(order) == (2, None, "paid")
    assert PaymentTransaction.objects.get().perform_time == answer["confirmTime"]
    assert order.paid_at is not None
    assert events() == [("payment.created", 1), ("payment.completed", 2)]


def test_reverse_of_created(client, uzum, order):
    call(client, "create")
    status, answer = call(client, "reverse")
    assert (status, answer["status"]) == (200, "REVERSED")
    assert state(order) == (-1, 3, "pending")
    assert PaymentTransaction.objects.get().cancel_time == answer["reverseTime"]
    assert events() == [("payment.created", 1), ("payment.cancelled", -1)]
    read = call(client, "status")[1]
    assert read["status"] == "REVERSED"
    assert read["reverseTime"] == answer["reverseTime"]
    assert read["confirmTime"] is None
    # The invoice is free again for a new payment.
    assert call(client, "create", transId="11111111-2222-3333-4444-555555555555")[0] == 200


def test_reverse_of_confirmed_refunds(client, uzum, order):
    call(client, "create")
    call(client, "confirm")
    status, answer = call(client, "reverse")
    assert (status, answer["status"]) == (200, "REVERSED")
    assert state(order) == (-2, 5, "refunded")
    assert events()[-1] == ("payment.cancelled", -2)
    assert error_of(*call(client, "check")) == "10009"  # not payable again


def test_timeout_then_reverse_of_failed(client, uzum, order):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        call(client, "create")
        traveller.shift(1801)
        read = call(client, "status")[1]  # lazily failed
        assert (read["status"], read["reverseTime"]) == ("FAILED", None)
        assert state(order) == (-1, 4, "pending")
        failed_at = PaymentTransaction.objects.get().cancel_time
        assert failed_at == now_ms()
        assert events() == [("payment.created", 1), ("payment.cancelled", -1)]
        traveller.shift(60)
        status, answer = call(client, "reverse")
        assert (status, answer["status"]) == (200, "REVERSED")
        assert answer["reverseTime"] == now_ms() != failed_at
    assert state(order) == (-1, 3, "pending")
    assert len(events()) == 2  # the reversal of a failed one emits nothing
    assert call(client, "status")[1]["status"] == "REVERSED"
    assert error_of(*call(client, "reverse")) == "10018"


def test_expired_uzum_transaction_frees_the_invoice_for_a_new_create(client, uzum, order):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        call(client, "create")
        traveller.shift(1801)
        other = "99999999-8888-7777-6666-555555555555"
        status, answer = call(client, "create", transId=other)
        assert (status, answer["status"]) == (200, "CREATED")
    first = PaymentTransaction.objects.get(provider_transaction_id=TRANS_ID)
    assert (first.state, first.reason) == (-1, 4)


def test_expired_uzum_transaction_frees_the_invoice_for_payme(client, uzum, payme, order):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        call(client, "create")
        params = {"id": "q" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER}}
        assert payme_call(client, payme.code, "CreateTransaction", params)["error"]
        traveller.shift(1801)
        uzum_transactions_expire()
        assert "result" in payme_call(client, payme.code, "CreateTransaction", params)


def test_sweep_fails_only_transactions_past_their_window(client, order):
    uzum_integration(config={"confirm_timeout_s": 600})
    second = invoice_create(order_id="s-2", amount=AMOUNT)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        call(client, "create")
        traveller.shift(300)
        call(
            client,
            "create",
            transId="22222222-2222-2222-2222-222222222222",
            params={"order_id": second.order_id},
        )
        traveller.shift(301)
        assert uzum_transactions_expire() == 1
        assert uzum_transactions_expire() == 0
        states = dict(PaymentTransaction.objects.values_list("provider_transaction_id", "state"))
        assert states == {TRANS_ID: -1, "22222222-2222-2222-2222-222222222222": 1}
        traveller.shift(300)
        assert uzum_transactions_expire() == 1
    assert [e for e in events() if e[0] == "payment.cancelled"] == [("payment.cancelled", -1)] * 2


def test_beat_task_fails_then_cancels_the_expired_invoice(client, uzum):
    order = invoice_create(
        order_id="exp-1", amount=AMOUNT, expires_at=timezone.now() + timedelta(minutes=5)
    )
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        call(client, "create", params={"order_id": "exp-1"})
        traveller.shift(600)
        # The invoice is past expires_at, but a created transaction is in flight: it may pay.
        assert cancel_expired_invoices() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=40), tick=False):
        assert cancel_expired_invoices() == 1
    order.refresh_from_db()
    payment = PaymentTransaction.objects.get()
    assert (payment.state, payment.reason, order.status) == (-1, 4, InvoiceStatus.CANCELLED)


def test_confirm_of_an_expired_invoice_in_flight_still_pays(client, uzum):
    """An invoice past expires_at with a created transaction is not cancelled by the sweep:
    the payment in flight may complete."""
    order = invoice_create(
        order_id="exp-2", amount=AMOUNT, expires_at=timezone.now() + timedelta(minutes=5)
    )
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        call(client, "create", params={"order_id": "exp-2"})
        traveller.shift(600)
        assert cancel_expired_invoices() == 0
        assert call(client, "confirm")[0] == 200
    order.refresh_from_db()
    assert order.status == InvoiceStatus.PAID
