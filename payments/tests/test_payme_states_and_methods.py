"""Payme beyond the sandbox: the transaction states, the 12-hour timeout, GetStatement,
ChangePassword, fiscal items, the inactive integration and expired invoices."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from integrations.models import IntegrationLog, IntegrationStatus
from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.services import invoice_create
from payments.tests.factories import PaymentInvoiceFactory
from payments.tests.helpers import (
    ACCOUNT,
    AMOUNT,
    ORDER_ID,
    PAYME_ID,
    PAYME_KEY,
    create,
    nothing_changed,
    payme_call,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

# --- states ------------------------------------------------------------------------------------


def test_perform_of_a_cancelled_transaction_is_31008(client, payme, invoice):
    create(client, payme.code)
    payme_call(client, payme.code, "CancelTransaction", {"id": PAYME_ID, "reason": 1})
    answer = payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
    assert answer["error"]["code"] == -31008
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_create_again_after_perform_is_31008(client, payme, invoice):
    create(client, payme.code)
    payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
    assert create(client, payme.code)["error"]["code"] == -31008


def test_check_perform_of_a_paid_invoice_is_31008(client, payme, invoice):
    create(client, payme.code)
    payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
    answer = payme_call(
        client, payme.code, "CheckPerformTransaction", {"amount": AMOUNT, "account": ACCOUNT}
    )
    assert answer["error"]["code"] == -31008


def test_refunded_or_cancelled_invoice_is_an_account_error(client, payme, invoice):
    PaymentInvoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.CANCELLED)
    answer = payme_call(
        client, payme.code, "CheckPerformTransaction", {"amount": AMOUNT, "account": ACCOUNT}
    )
    assert answer["error"]["code"] == -31051
    assert answer["error"]["data"] == "order_id"
    assert create(client, payme.code)["error"]["code"] == -31051


def test_refunds_not_allowed_is_31007(client, payme, invoice):
    payme.config = {"refunds_allowed": False}
    payme.save()
    create(client, payme.code)
    payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
    answer = payme_call(client, payme.code, "CancelTransaction", {"id": PAYME_ID, "reason": 5})
    assert answer["error"]["code"] == -31007
    assert PaymentTransaction.objects.get().state == 2
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


# --- the 12-hour timeout -----------------------------------------------------------------------


def test_perform_after_12_hours_cancels_with_reason_4_and_answers_31008(client, payme, invoice):
    with time_machine.travel("2025-02-10 08:00:00+00:00", tick=False):
        create(client, payme.code)
    with time_machine.travel("2025-02-10 20:00:00.001+00:00", tick=False):
        answer = payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
        assert answer["error"]["code"] == -31008
        assert payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID}) == answer
    payment = PaymentTransaction.objects.get()
    assert (payment.state, payment.reason) == (-1, 4)
    assert payment.cancel_time - payment.create_time == 43_200_001
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert Webhook.objects.filter(event_type="payment.cancelled").count() == 1


def test_perform_at_exactly_12_hours_still_performs(client, payme, invoice):
    with time_machine.travel("2025-02-10 08:00:00+00:00", tick=False):
        create(client, payme.code)
    with time_machine.travel("2025-02-10 20:00:00+00:00", tick=False):
        answer = payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
    assert answer["result"]["state"] == 2


def test_create_again_after_12_hours_cancels_and_answers_31008(client, payme, invoice):
    with time_machine.travel("2025-02-10 08:00:00+00:00", tick=False):
        create(client, payme.code)
    with time_machine.travel("2025-02-11 08:00:00+00:00", tick=False):
        assert create(client, payme.code)["error"]["code"] == -31008
        check = payme_call(client, payme.code, "CheckTransaction", {"id": PAYME_ID})
    assert (check["result"]["state"], check["result"]["reason"]) == (-1, 4)


def test_a_timed_out_transaction_no_longer_blocks_a_new_one(client, payme, invoice):
    with time_machine.travel("2025-02-10 08:00:00+00:00", tick=False):
        create(client, payme.code)
    with time_machine.travel("2025-02-11 08:00:00+00:00", tick=False):
        answer = create(client, payme.code, payme_id="7305e3bab097f420a62ced0d")
    assert answer["result"]["state"] == 1
    states = dict(PaymentTransaction.objects.values_list("provider_transaction_id", "state"))
    assert states == {PAYME_ID: -1, "7305e3bab097f420a62ced0d": 1}


# --- GetStatement, ChangePassword, fiscal items -------------------------------------------------


def test_get_statement_lists_this_integrations_transactions_by_time(client, payme):
    for number, time in [(1, 3_000), (2, 1_000), (3, 2_000), (4, 9_000)]:
        PaymentInvoiceFactory(order_id=f"o-{number}", amount=100 * number)
        create(
            client,
            payme.code,
            payme_id=f"{number:024d}",
            time=time,
            amount=100 * number,
            account={"order_id": f"o-{number}"},
        )
    payme_call(client, payme.code, "PerformTransaction", {"id": f"{3:024d}"})
    answer = payme_call(client, payme.code, "GetStatement", {"from": 1_000, "to": 3_000})
    transactions = answer["result"]["transactions"]
    assert [entry["id"] for entry in transactions] == [f"{n:024d}" for n in (2, 3, 1)]
    performed = PaymentTransaction.objects.get(provider_transaction_id=f"{3:024d}")
    assert transactions[1] == {
        "id": f"{3:024d}",
        "time": 2_000,
        "amount": 300,
        "account": {"order_id": "o-3"},
        "create_time": performed.create_time,
        "perform_time": performed.perform_time,
        "cancel_time": 0,
        "transaction": str(performed.id),
        "state": 2,
        "reason": None,
        "receivers": None,
    }
    empty = payme_call(client, payme.code, "GetStatement", {"from": 4_000, "to": 8_000})
    assert empty["result"] == {"transactions": []}
    bad = payme_call(client, payme.code, "GetStatement", {"from": "0", "to": 8_000})
    assert bad["error"]["code"] == -32600


def test_change_password_replaces_the_key_and_is_not_logged(client, payme):
    answer = payme_call(client, payme.code, "ChangePassword", {"password": "brand-new-key-42"})
    assert answer["result"] == {"success": True}
    payme.refresh_from_db()
    assert payme.api_secret == "brand-new-key-42"
    old = payme_call(client, payme.code, "CheckTransaction", {"id": PAYME_ID})
    assert old["error"]["code"] == -32504
    new = payme_call(
        client, payme.code, "CheckTransaction", {"id": PAYME_ID}, key="brand-new-key-42"
    )
    assert new["error"]["code"] == -31003
    log = IntegrationLog.objects.filter(action="payme.ChangePassword").get()
    assert log.request_data["body"]["params"]["password"] == "[REDACTED]"
    for row in IntegrationLog.objects.all():
        assert "brand-new-key-42" not in str(row.request_data) + str(row.response_data)


@pytest.mark.parametrize("password", ["", "   ", 42, None])
def test_change_password_with_a_bad_password_is_32600(client, payme, password):
    answer = payme_call(client, payme.code, "ChangePassword", {"password": password})
    assert answer["error"]["code"] == -32600
    payme.refresh_from_db()
    assert payme.api_secret == PAYME_KEY


def test_check_perform_returns_the_fiscal_items(client, payme):
    items = [
        {
            "title": "Cappuccino",
            "price": 50_000,
            "count": 2,
            "code": "02101001001000000",
            "package_code": "1184778",
            "vat_percent": 12,
        },
        {
            "title": "Water",
            "price": 50_000,
            "count": 1,
            "code": "02202001001000000",
            "package_code": "1184779",
            "vat_percent": 0,
        },
    ]
    invoice_create(order_id=ORDER_ID, amount=AMOUNT, items=items)
    answer = payme_call(
        client, payme.code, "CheckPerformTransaction", {"amount": AMOUNT, "account": ACCOUNT}
    )
    assert answer["result"] == {"allow": True, "detail": {"receipt_type": 0, "items": items}}


# --- switched off, expired ---------------------------------------------------------------------


def test_inactive_integration_answers_200_with_32400(client, payme, invoice):
    payme.status = IntegrationStatus.INACTIVE
    payme.save()
    answer = payme_call(
        client, payme.code, "CheckPerformTransaction", {"amount": AMOUNT, "account": ACCOUNT}
    )
    assert answer["error"]["code"] == -32400
    assert create(client, payme.code)["error"]["code"] == -32400
    assert nothing_changed(invoice)
    assert (
        payme_call(client, payme.code, "CheckTransaction", {"id": "x"}, key="bad")["error"]["code"]
        == -32504
    )


def test_expired_invoice_is_an_account_error(client, payme):
    invoice = PaymentInvoiceFactory(
        order_id=ORDER_ID, amount=AMOUNT, expires_at=timezone.now() + timedelta(minutes=1)
    )
    PaymentInvoice.objects.filter(pk=invoice.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    answer = payme_call(
        client, payme.code, "CheckPerformTransaction", {"amount": AMOUNT, "account": ACCOUNT}
    )
    assert (answer["error"]["code"], answer["error"]["data"]) == (-31052, "order_id")
    assert "expired" in answer["error"]["message"]["en"]
    assert create(client, payme.code)["error"]["code"] == -31052
    assert nothing_changed(invoice)


def test_a_transaction_created_before_expiry_may_still_be_performed(client, payme):
    invoice = PaymentInvoiceFactory(
        order_id=ORDER_ID, amount=AMOUNT, expires_at=timezone.now() + timedelta(minutes=5)
    )
    create(client, payme.code)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        answer = payme_call(client, payme.code, "PerformTransaction", {"id": PAYME_ID})
    assert answer["result"]["state"] == 2
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_an_unexpected_failure_is_32400_not_a_500_and_writes_nothing(client, payme, invoice):
    from unittest import mock

    with mock.patch(
        "payments.services.payme.payment_event_emit", side_effect=RuntimeError("database gone")
    ):
        answer = create(client, payme.code)
    assert answer["error"]["code"] == -32400
    assert answer["id"] == 1
    assert nothing_changed(invoice)
    log = IntegrationLog.objects.get(integration=payme)
    assert (log.action, log.response_data) == ("payme.CreateTransaction", answer)


def test_a_numeric_account_value_finds_the_invoice(client, payme):
    PaymentInvoiceFactory(order_id="1001", amount=AMOUNT)
    answer = payme_call(
        client,
        payme.code,
        "CheckPerformTransaction",
        {"amount": AMOUNT, "account": {"order_id": 1001}},
    )
    assert answer["result"] == {"allow": True}
