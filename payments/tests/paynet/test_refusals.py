"""Paynet on the receive URL (gateways.md 2.3): the refusals of the error table about accounts,
amounts, transactions and statement dates, and -32603 for whatever fails unexpectedly."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from integrations.models import IntegrationLog
from payments.models import (
    InvoiceStatus,
    PaymentInvoice,
    PaymentTransaction,
    TransactionState,
)
from payments.services import invoice_create
from payments.tests.factories import PaymentInvoiceFactory
from payments.tests.paynet.calls import (
    ORDER,
    PAYNET_ID,
    SERVICE_ID,
    TIYIN,
    basic,
    cancel,
    check,
    error_code,
    information,
    nothing_changed,
    paynet_integration,
    perform,
    perform_params,
    post_raw,
    rpc,
    statement,
)

pytestmark = pytest.mark.django_db


def test_perform_checks_201_then_302_then_413(client, paynet, invoice):
    assert "result" in perform(client)
    # A known id with an unknown account and a wrong amount: 201 (before the account).
    assert error_code(perform(client, order="no-such-order", amount=1)) == 201
    # A new id for a paid invoice with a wrong amount: 302 before 413.
    assert error_code(perform(client, 2, amount=1)) == 302
    PaymentInvoiceFactory(order_id="other", amount=TIYIN)
    assert error_code(perform(client, 3, order="other", amount=TIYIN + 1)) == 413


@pytest.mark.parametrize("order", ["no-such-order", "has space", "x" * 200, 12.5, ["a"], {"a": 1}])
def test_unknown_account_is_302_in_get_information_and_perform(client, paynet, invoice, order):
    assert error_code(information(client, order)) == 302
    assert error_code(perform(client, order=order)) == 302
    assert nothing_changed(invoice)


@pytest.mark.parametrize(
    "status", [InvoiceStatus.PAID, InvoiceStatus.REFUNDED, InvoiceStatus.CANCELLED]
)
def test_an_invoice_not_pending_is_302(client, paynet, invoice, status):
    PaymentInvoice.objects.filter(pk=invoice.pk).update(status=status)
    assert error_code(information(client)) == 302
    assert error_code(perform(client)) == 302
    assert not PaymentTransaction.objects.exists()


def test_an_expired_invoice_is_302(client, paynet):
    invoice = invoice_create(order_id=ORDER, amount=TIYIN)
    # Born payable (a past expires_at is refused at creation), then past its expiry.
    PaymentInvoice.objects.filter(pk=invoice.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invoice.refresh_from_db()
    assert error_code(information(client)) == 302
    assert error_code(perform(client)) == 302
    assert nothing_changed(invoice)


def test_an_invoice_held_by_another_gateways_created_transaction_is_302(client, paynet, invoice):
    from payments.tests.helpers import PAYME_KEY, payme_call

    payme = paynet_integration(
        code="payme", provider="payme", api_key="m", api_secret=PAYME_KEY, config={}
    )
    created = payme_call(
        client,
        payme.code,
        "CreateTransaction",
        {"id": "a" * 24, "time": 1, "amount": TIYIN, "account": {"order_id": ORDER}},
    )
    assert created["result"]["state"] == 1
    assert error_code(information(client)) == 302
    assert error_code(perform(client)) == 302
    assert PaymentTransaction.objects.count() == 1


@pytest.mark.parametrize("amount", [TIYIN - 1, TIYIN + 1, TIYIN // 100, "1200000", 1200000.0, True])
def test_another_amount_is_413(client, paynet, invoice, amount):
    assert error_code(perform(client, amount=amount)) == 413
    assert nothing_changed(invoice)


def test_cancel_of_an_unknown_transaction_is_203(client, paynet, invoice):
    assert cancel(client, 777)["error"] == {"code": 203, "message": "Транзакция не найдена"}


def test_a_transaction_of_another_paynet_integration_is_not_this_ones(client, paynet, invoice):
    other = paynet_integration(code="paynet-other", api_key="other", api_secret="pw-other-1")
    assert "result" in perform(client)
    other_auth = basic("other", "pw-other-1")
    params = {"serviceId": SERVICE_ID, "transactionId": PAYNET_ID}
    answer = rpc(client, "CheckTransaction", params, code=other.code, authorization=other_auth)
    assert answer["result"]["transactionState"] == 3
    answer = rpc(client, "CancelTransaction", params, code=other.code, authorization=other_auth)
    assert error_code(answer) == 203
    # ... but its transactionId is still taken: the (provider, transactionId) pair is unique.
    answer = rpc(
        client, "PerformTransaction", perform_params(), code=other.code, authorization=other_auth
    )
    assert error_code(answer) == 201


def test_cancel_refused_when_refunds_are_not_allowed_is_77(client, invoice):
    paynet_integration(config={"service_id": SERVICE_ID, "refunds_allowed": False})
    assert "result" in perform(client)
    assert cancel(client)["error"] == {
        "code": 77,
        "message": "Недостаточно средств на счету клиента для отмены платежа",
    }
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert PaymentTransaction.objects.get().state == TransactionState.PERFORMED
    assert check(client)["result"]["transactionState"] == 1


def test_cancel_checks_203_then_202_then_77(client, invoice):
    integration = paynet_integration()
    assert "result" in perform(client)
    assert "result" in cancel(client)
    integration.config = {"service_id": SERVICE_ID, "refunds_allowed": False}
    integration.save(update_fields=["config"])
    assert error_code(cancel(client)) == 202
    assert error_code(cancel(client, 1)) == 203


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        ("2026-01-15", "2026-01-15 23:59:59"),
        ("15.01.2026 00:00:00", "2026-01-15 23:59:59"),
        ("2026-01-15 00:00:00", "2026-13-15 23:59:59"),
        ("2026-01-15 00:00:00", "2026-01-15 24:00:00"),
        ("2026-01-15T00:00:00", "2026-01-15 23:59:59"),
        (1736881200000, "2026-01-15 23:59:59"),
        ("2026-01-15 00:00:00", ["2026-01-15 23:59:59"]),
    ],
)
def test_statement_with_unreadable_dates_is_414(client, paynet, date_from, date_to):
    answer = statement(client, date_from, date_to)
    assert answer["error"] == {"code": 414, "message": "Неверный формат даты и времени"}


def test_an_unexpected_failure_is_32603_with_http_200_and_writes_nothing(client, paynet, invoice):
    with mock.patch("payments.services.paynet.invoice_mark_paid", side_effect=RuntimeError("boom")):
        response = post_raw(
            client,
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 9,
                    "method": "PerformTransaction",
                    "params": perform_params(),
                }
            ),
        )
    assert response.status_code == 200
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": 9,
        "error": {"code": -32603, "message": "Системная ошибка"},
    }
    assert nothing_changed(invoice)
    log = IntegrationLog.objects.get(integration=paynet)
    assert (log.action, log.response_data) == ("paynet.PerformTransaction", response.json())


def test_the_database_gone_is_32603_not_a_5xx(client, paynet, invoice):
    with mock.patch(
        "payments.services.paynet.PaymentTransaction.objects.filter",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        answer = perform(client)
    assert error_code(answer) == -32603
    assert nothing_changed(invoice)


def test_when_even_the_log_cannot_be_written_paynet_still_gets_an_answer(client, paynet, invoice):
    with (
        mock.patch("payments.services.paynet.paynet_check", side_effect=OperationalError("gone")),
        mock.patch("payments.protocols.paynet.gateway_log", side_effect=OperationalError("gone")),
    ):
        answer = check(client)
    assert error_code(answer) == -32603
