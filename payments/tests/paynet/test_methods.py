"""Paynet on the receive URL (gateways.md 2.2, 2.4): each method's answer, the state machine and
its replays, the time formats, the statement window, ChangePassword."""

from __future__ import annotations

import json
from unittest import mock

import pytest
import time_machine

from integrations.models import IntegrationLog, SecretChange
from payments.models import (
    InvoiceStatus,
    PaymentTransaction,
    TransactionState,
)
from payments.tests.factories import PaymentInvoiceFactory
from payments.tests.paynet.calls import (
    LOGIN,
    ORDER,
    PASSWORD,
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
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


# --- 2.2 / 2.4: methods, state machine, replays ----------------------------------------------


def test_get_information_answers_so_m_as_text_and_the_description(client, paynet):
    PaymentInvoiceFactory(order_id="odd", amount=150_050, description="")
    answer = information(client, "odd")["result"]
    assert answer["status"] == "0"
    assert answer["fields"] == {"order_id": "odd", "amount": "1500.50", "name": ""}


def test_get_information_changes_nothing(client, paynet, invoice):
    assert "result" in information(client)
    assert nothing_changed(invoice)


def test_a_custom_account_field_and_trimmed_field_keys(client, invoice):
    paynet_integration(config={"service_id": SERVICE_ID, "account_field": "client_id"})
    params = {"serviceId": SERVICE_ID, "fields": {" client_id ": f" {ORDER} "}}
    answer = rpc(client, "GetInformation", params)["result"]
    assert answer["fields"]["client_id"] == ORDER
    answer = rpc(client, "PerformTransaction", {**perform_params(), "fields": params["fields"]})
    assert answer["result"]["fields"] == {"client_id": f" {ORDER} "}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_numeric_account_value_finds_the_invoice(client, paynet):
    PaymentInvoiceFactory(order_id="1001", amount=TIYIN)
    assert "result" in information(client, 1001)
    assert "result" in perform(client, order=1001)


def test_perform_creates_a_performed_transaction_pays_and_emits_two_events(client, paynet, invoice):
    with time_machine.travel("2026-01-15 09:03:14.250+00:00", tick=False):
        answer = perform(client, transaction_id=2**63 - 1)["result"]
    payment = PaymentTransaction.objects.get()
    assert (payment.provider, payment.provider_transaction_id) == ("paynet", str(2**63 - 1))
    assert payment.state == TransactionState.PERFORMED
    assert payment.create_time == payment.perform_time == 1768467794250
    assert payment.amount == TIYIN and payment.account == {"order_id": ORDER}
    assert answer["providerTrnId"] == payment.provider_trn_id
    assert answer["timestamp"] == "2026-01-15 14:03:14"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert (invoice.provider, invoice.provider_transaction_id) == ("paynet", str(2**63 - 1))
    events = {hook.event_type: hook.payload for hook in Webhook.objects.all()}
    assert set(events) == {"payment.created", "payment.completed"}
    assert events["payment.created"]["state"] == 1
    assert events["payment.completed"]["state"] == 2
    assert events["payment.completed"]["provider"] == "paynet"
    assert events["payment.completed"]["amount"] == TIYIN


def test_a_transaction_id_sent_as_digits_is_the_same_id(client, paynet, invoice):
    assert "result" in perform(client)
    assert error_code(perform(client, transaction_id=str(PAYNET_ID))) == 201  # type: ignore[arg-type]


def test_repeated_perform_is_201_and_changes_nothing(client, paynet, invoice):
    first = perform(client)["result"]
    before = list(PaymentTransaction.objects.values())
    for _ in range(3):
        assert perform(client)["error"] == {"code": 201, "message": "Транзакция уже существует"}
    assert list(PaymentTransaction.objects.values()) == before
    assert Webhook.objects.count() == 2
    assert check(client)["result"]["providerTrnId"] == first["providerTrnId"]


def test_provider_trn_ids_are_new_for_each_transaction_and_never_reused(client, paynet):
    trn_ids = []
    for number in range(3):
        PaymentInvoiceFactory(order_id=f"o-{number}", amount=TIYIN)
        trn_ids.append(
            perform(client, 500 + number, order=f"o-{number}")["result"]["providerTrnId"]
        )
    assert all(isinstance(value, int) and value > 0 for value in trn_ids)
    assert trn_ids == sorted(set(trn_ids))
    # A failed perform that took a number (rolled back) does not give it out again.
    PaymentInvoiceFactory(order_id="o-x", amount=TIYIN)
    with mock.patch("payments.services.paynet.invoice_mark_paid", side_effect=RuntimeError):
        assert error_code(perform(client, 600, order="o-x")) == -32603
    again = perform(client, 601, order="o-x")["result"]["providerTrnId"]
    assert again > trn_ids[-1] + 1


def test_cancel_refunds_with_reason_5_and_emits_cancelled(client, paynet, invoice):
    perform(client)
    with time_machine.travel("2026-01-15 11:40:02+00:00", tick=False):
        answer = cancel(client)["result"]
    assert answer["transactionState"] == 2
    assert answer["timestamp"] == "2026-01-15 16:40:02"
    payment = PaymentTransaction.objects.get()
    assert payment.state == TransactionState.CANCELLED_AFTER_PERFORM
    assert payment.reason == 5
    assert payment.cancel_time == 1768477202000
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUNDED
    cancelled = Webhook.objects.get(event_type="payment.cancelled")
    assert cancelled.payload["state"] == -2


def test_repeated_cancel_is_202_and_changes_nothing(client, paynet, invoice):
    perform(client)
    cancel(client)
    before = list(PaymentTransaction.objects.values())
    for _ in range(2):
        assert error_code(cancel(client)) == 202
    assert list(PaymentTransaction.objects.values()) == before
    assert Webhook.objects.filter(event_type="payment.cancelled").count() == 1


def test_a_refunded_invoice_cannot_be_paid_again(client, paynet, invoice):
    perform(client)
    cancel(client)
    assert error_code(perform(client, 2)) == 302
    assert error_code(perform(client)) == 201


@pytest.mark.parametrize(
    "timestamp", ["Thu Jan 15 14:05:00 UZT 2026", "15.01.2026 14:05:00", None, 12, "", {"a": 1}]
)
def test_odd_inbound_timestamps_are_accepted_and_ignored(client, paynet, invoice, timestamp):
    perform(client)
    params = {"serviceId": SERVICE_ID, "transactionId": PAYNET_ID, "timestamp": timestamp}
    assert rpc(client, "CheckTransaction", params)["result"]["transactionState"] == 1
    assert rpc(client, "CancelTransaction", params)["result"]["transactionState"] == 2


def test_check_of_an_unknown_id_is_state_3_with_now(client, paynet):
    with time_machine.travel("2026-06-01 00:00:00+00:00", tick=False):
        answer = check(client, 123)
    assert answer["result"] == {
        "providerTrnId": 0,
        "timestamp": "2026-06-01 05:00:00",
        "transactionState": 3,
    }


def test_statement_window_is_inclusive_gmt5_performed_not_cancelled_oldest_first(client, paynet):
    moments = {  # transactionId: perform moment (UTC)
        11: "2026-01-14 18:59:59.999+00:00",  # 2026-01-14 23:59:59 GMT+5: before the window
        12: "2026-01-14 19:00:00+00:00",  # 2026-01-15 00:00:00 GMT+5: first second
        13: "2026-01-15 18:59:59.900+00:00",  # 2026-01-15 23:59:59 GMT+5: last second
        14: "2026-01-15 19:00:00+00:00",  # 2026-01-16 00:00:00 GMT+5: after
        15: "2026-01-15 10:00:00+00:00",  # inside, then cancelled
        16: "2026-01-15 05:00:00+00:00",  # inside
    }
    for transaction_id, moment in moments.items():
        PaymentInvoiceFactory(order_id=f"s-{transaction_id}", amount=TIYIN + transaction_id)
        with time_machine.travel(moment, tick=False):
            perform(
                client, transaction_id, order=f"s-{transaction_id}", amount=TIYIN + transaction_id
            )
    cancel(client, 15)
    answer = statement(client, "2026-01-15 00:00:00", "2026-01-15 23:59:59")["result"]
    assert [entry["transactionId"] for entry in answer["statements"]] == [12, 16, 13]
    assert answer["statements"][0] == {
        "amount": TIYIN + 12,
        "providerTrnId": PaymentTransaction.objects.get(
            provider_transaction_id="12"
        ).provider_trn_id,
        "transactionId": 12,
        "timestamp": "2026-01-15 00:00:00",
    }
    assert statement(client, "2026-01-16 00:00:00", "2026-01-15 00:00:00")["result"] == {
        "statements": []
    }


def test_statement_lists_only_this_integrations_transactions(client, paynet, invoice):
    from payments.tests.helpers import PAYME_KEY, payme_call

    payme = paynet_integration(
        code="payme", provider="payme", api_key="m", api_secret=PAYME_KEY, config={}
    )
    payme_call(
        client,
        payme.code,
        "CreateTransaction",
        {"id": "b" * 24, "time": 1, "amount": TIYIN, "account": {"order_id": ORDER}},
    )
    payme_call(client, payme.code, "PerformTransaction", {"id": "b" * 24})
    answer = statement(client, "2000-01-01 00:00:00", "2100-01-01 00:00:00")
    assert answer["result"] == {"statements": []}


def test_change_password_replaces_the_secret_and_records_it(client, paynet, invoice):
    answer = rpc(client, "ChangePassword", {"newPassword": "N3w-Paynet-pw"})
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": "success"}
    paynet.refresh_from_db()
    assert paynet.api_secret == "N3w-Paynet-pw"
    change = SecretChange.objects.get(integration=paynet)
    assert (change.field, change.action, change.actor) == ("api_secret", "changed", "paynet")
    # The old password is refused from now on, the new one works.
    response = post_raw(
        client, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "GetInformation", "params": {}})
    )
    assert response.status_code == 401
    answer = rpc(
        client,
        "GetInformation",
        {"serviceId": SERVICE_ID, "fields": {"order_id": ORDER}},
        authorization=basic(LOGIN, "N3w-Paynet-pw"),
    )
    assert "result" in answer
    for log in IntegrationLog.objects.all():
        assert "N3w-Paynet-pw" not in json.dumps(
            [log.request_data, log.response_data, log.error_message, log.endpoint]
        )


def test_change_password_with_a_wrong_current_password_changes_nothing(client, paynet):
    response = post_raw(
        client,
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "ChangePassword",
                "params": {"newPassword": "taken-over"},
            }
        ),
        authorization=basic(LOGIN, "guess"),
    )
    assert response.status_code == 401
    paynet.refresh_from_db()
    assert paynet.api_secret == PASSWORD
    assert not SecretChange.objects.exists()
