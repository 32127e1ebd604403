"""Click's Shop API through the receive URL: Prepare, Complete, every error code in the
reference order, repeats, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import IntegrationLog, IntegrationStatus
from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.services import invoice_create
from payments.tests.helpers import (
    CLICK_SECRET,
    ORDER_ID,
    click_call,
    click_fields,
    receive_url,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


def prepare(client, code, **kwargs):
    return click_call(client, code, click_fields(0, **kwargs))


def complete(client, code, merchant_prepare_id, **kwargs):
    return click_call(
        client, code, click_fields(1, merchant_prepare_id=merchant_prepare_id, **kwargs)
    )


def unchanged(invoice):
    invoice.refresh_from_db()
    return invoice.status == InvoiceStatus.PENDING and PaymentTransaction.objects.count() == 0


def test_prepare_then_complete_pays_the_invoice(client, click, invoice):
    prepared = prepare(client, click.code)
    payment = PaymentTransaction.objects.get()
    assert prepared == {
        "click_trans_id": 2050001,
        "merchant_trans_id": ORDER_ID,
        "merchant_prepare_id": payment.merchant_prepare_id,
        "error": 0,
        "error_note": "Success",
    }
    assert isinstance(prepared["merchant_prepare_id"], int) and prepared["merchant_prepare_id"] > 0
    assert (payment.state, payment.amount, payment.provider_transaction_id) == (
        1,
        150_000,
        "2050001",
    )
    assert payment.click_paydoc_id == 3150001

    completed = complete(client, click.code, prepared["merchant_prepare_id"])
    payment.refresh_from_db()
    assert completed == {
        "click_trans_id": 2050001,
        "merchant_trans_id": ORDER_ID,
        "merchant_confirm_id": payment.merchant_confirm_id,
        "error": 0,
        "error_note": "Success",
    }
    assert isinstance(completed["merchant_confirm_id"], int)
    assert payment.state == 2 and payment.perform_time >= payment.create_time > 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert (invoice.provider, invoice.provider_transaction_id) == ("click", "2050001")
    events = set(Webhook.objects.values_list("event_type", "source"))
    assert events == {("payment.created", "click"), ("payment.completed", "click")}


def test_repeated_prepare_and_complete_answer_as_the_first_time(client, click, invoice):
    first_prepare = prepare(client, click.code)
    assert prepare(client, click.code) == first_prepare
    first_complete = complete(client, click.code, first_prepare["merchant_prepare_id"])
    assert complete(client, click.code, first_prepare["merchant_prepare_id"]) == first_complete
    assert prepare(client, click.code) == first_prepare
    assert PaymentTransaction.objects.count() == 1
    assert Webhook.objects.count() == 2


def test_prepare_ids_differ_between_transactions(client, click):
    invoice_create(order_id="a-1", amount=100)
    invoice_create(order_id="a-2", amount=100)
    first = prepare(client, click.code, click_trans_id="1", order_id="a-1", amount="1")
    second = prepare(client, click.code, click_trans_id="2", order_id="a-2", amount="1.00")
    assert first["error"] == second["error"] == 0
    assert first["merchant_prepare_id"] != second["merchant_prepare_id"]


# --- the error codes, in the reference order ----------------------------------------------------


@pytest.mark.parametrize(
    "missing",
    [
        "click_trans_id",
        "service_id",
        "click_paydoc_id",
        "merchant_trans_id",
        "amount",
        "action",
        "error",
        "sign_time",
        "sign_string",
    ],
)
def test_a_missing_field_is_8(client, click, invoice, missing):
    fields = click_fields(0)
    del fields[missing]
    answer = click_call(client, click.code, fields)
    assert answer["error"] == -8
    assert unchanged(invoice)


def test_complete_without_merchant_prepare_id_is_8(client, click, invoice):
    fields = click_fields(1, merchant_prepare_id=1)
    del fields["merchant_prepare_id"]
    assert click_call(client, click.code, fields)["error"] == -8


@pytest.mark.parametrize(
    "overrides",
    [
        {"click_trans_id": "abc"},
        {"click_trans_id": "-5"},
        {"click_trans_id": "9" * 30},
        {"click_paydoc_id": "1.5"},
        {"service_id": "x"},
        {"error": "none"},
    ],
)
def test_a_field_that_is_not_an_integer_is_8(client, click, invoice, overrides):
    fields = click_fields(0)
    fields.update(overrides)
    answer = click_call(client, click.code, fields)
    assert answer["error"] == -8
    assert isinstance(answer["merchant_prepare_id"], int)
    assert unchanged(invoice)


def test_a_get_or_an_empty_post_is_8(client, click, invoice):
    assert click_call(client, click.code, {})["error"] == -8
    assert unchanged(invoice)


@pytest.mark.parametrize(
    "fields",
    [
        click_fields(0, secret="wrong-secret"),
        click_fields(0, sign_string="0" * 32),
        click_fields(0, service_id="99999", secret=CLICK_SECRET),
        click_fields(
            0, amount="1500.00", sign_string=click_fields(0, amount="1.00")["sign_string"]
        ),
    ],
    ids=["wrong-secret", "wrong-sign", "other-service", "signed-another-amount"],
)
def test_a_bad_signature_or_service_id_is_1(client, click, invoice, fields):
    answer = click_call(client, click.code, fields)
    assert answer["error"] == -1
    assert answer["error_note"] == "SIGN CHECK FAILED!"
    assert unchanged(invoice)


def test_no_secret_set_is_1(client, click, invoice):
    click.api_secret = None
    click.save()
    assert prepare(client, click.code)["error"] == -1


def test_an_unknown_action_is_3(client, click, invoice):
    answer = click_call(client, click.code, click_fields(2))
    assert answer["error"] == -3
    assert unchanged(invoice)


def test_an_unknown_order_is_5(client, click, invoice):
    answer = prepare(client, click.code, order_id="no-such-order")
    assert answer["error"] == -5
    assert answer["merchant_trans_id"] == "no-such-order"
    assert unchanged(invoice)


def test_complete_with_an_unknown_prepare_id_is_6(client, click, invoice):
    prepared = prepare(client, click.code)
    answer = complete(client, click.code, prepared["merchant_prepare_id"] + 1000)
    assert answer["error"] == -6
    assert isinstance(answer["merchant_confirm_id"], int)
    assert PaymentTransaction.objects.get().state == 1


def test_complete_of_another_click_trans_id_is_6(client, click, invoice):
    prepared = prepare(client, click.code)
    answer = complete(client, click.code, prepared["merchant_prepare_id"], click_trans_id="777")
    assert answer["error"] == -6


def test_prepare_of_a_paid_invoice_is_4(client, click, invoice):
    prepared = prepare(client, click.code)
    complete(client, click.code, prepared["merchant_prepare_id"])
    answer = prepare(client, click.code, click_trans_id="2050002")
    assert answer["error"] == -4
    assert answer["error_note"] == "Already paid"
    assert PaymentTransaction.objects.count() == 1


@pytest.mark.parametrize(
    "amount",
    [
        "1400.00",
        "1500.01",
        "0",
        "1e3",
        "15,00",
        "-1500.00",
        "1500.000",
        " 1500.00",
        "NaN",
        "1500.00abc",
        "",
    ],
)
def test_a_wrong_or_malformed_amount_is_2(client, click, invoice, amount):
    answer = prepare(client, click.code, amount=amount)
    assert answer["error"] == -2
    assert unchanged(invoice)


@pytest.mark.parametrize("amount", ["1500", "1500.0", "1500.00"])
def test_the_amount_may_have_zero_one_or_two_decimals(client, click, invoice, amount):
    assert prepare(client, click.code, amount=amount)["error"] == 0


def test_complete_with_a_wrong_amount_is_2_and_leaves_it_prepared(client, click, invoice):
    prepared = prepare(client, click.code)
    answer = complete(client, click.code, prepared["merchant_prepare_id"], amount="1e3")
    assert answer["error"] == -2
    assert PaymentTransaction.objects.get().state == 1


def test_prepare_of_a_cancelled_invoice_is_9(client, click, invoice):
    PaymentInvoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.CANCELLED)
    assert prepare(client, click.code)["error"] == -9
    assert PaymentTransaction.objects.count() == 0


def test_prepare_of_an_expired_invoice_is_9(client, click):
    invoice = invoice_create(
        order_id=ORDER_ID, amount=150_000, expires_at=timezone.now() + timedelta(minutes=1)
    )
    PaymentInvoice.objects.filter(pk=invoice.pk).update(expires_at=timezone.now() - timedelta(1))
    assert prepare(client, click.code)["error"] == -9
    assert PaymentTransaction.objects.count() == 0


def test_a_second_prepare_while_one_is_in_flight_is_9(client, click, invoice):
    prepare(client, click.code)
    assert prepare(client, click.code, click_trans_id="2050002")["error"] == -9
    assert PaymentTransaction.objects.count() == 1


def test_complete_with_an_error_from_click_cancels_and_is_9(client, click, invoice):
    prepared = prepare(client, click.code)
    answer = complete(client, click.code, prepared["merchant_prepare_id"], error="-5017")
    assert answer["error"] == -9
    payment = PaymentTransaction.objects.get()
    assert payment.state == -1 and payment.cancel_time > 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    # Repeated, and then a success that comes too late: still cancelled.
    assert complete(client, click.code, prepared["merchant_prepare_id"], error="-5017") == answer
    assert complete(client, click.code, prepared["merchant_prepare_id"])["error"] == -9
    assert prepare(client, click.code)["error"] == -9
    assert Webhook.objects.filter(event_type="payment.cancelled").count() == 1
    # The invoice can still be paid by a new Click payment.
    again = prepare(client, click.code, click_trans_id="2050002")
    assert again["error"] == 0


def test_complete_with_an_error_after_payment_is_4(client, click, invoice):
    prepared = prepare(client, click.code)
    complete(client, click.code, prepared["merchant_prepare_id"])
    answer = complete(client, click.code, prepared["merchant_prepare_id"], error="-1")
    assert answer["error"] == -4
    assert PaymentTransaction.objects.get().state == 2


def test_inactive_integration_answers_200_with_9(client, click, invoice):
    click.status = IntegrationStatus.INACTIVE
    click.save()
    answer = prepare(client, click.code)
    assert answer["error"] == -9
    assert unchanged(invoice)


def test_every_call_is_logged_with_the_sign_string_redacted(client, click, invoice):
    prepare(client, click.code)
    click_call(client, click.code, click_fields(0, secret="wrong"))
    logs = list(IntegrationLog.objects.filter(integration=click).order_by("created_at"))
    assert [(log.action, log.direction, log.status_code) for log in logs] == [
        ("click.prepare", "inbound", 200),
        ("click.prepare", "inbound", 200),
    ]
    assert [log.response_data["error"] for log in logs] == [0, -1]
    for log in logs:
        assert log.request_data["body"]["sign_string"] == "[REDACTED]"
        assert log.request_data["body"]["merchant_trans_id"] == ORDER_ID
        assert CLICK_SECRET not in str(log.request_data) + str(log.response_data)


def test_a_json_body_is_a_request_error(client, click, invoice):
    response = client.post(
        receive_url(click.code), data={"action": 0}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["error"] == -8


def test_a_multipart_form_is_read_too(client, click, invoice):
    response = client.post(receive_url(click.code), data=click_fields(0))
    assert response.status_code == 200
    assert response.json()["error"] == 0


def test_an_unexpected_failure_is_7_not_a_500_and_writes_nothing(client, click, invoice):
    from unittest import mock

    with mock.patch(
        "payments.services.click.payment_event_emit", side_effect=RuntimeError("database gone")
    ):
        answer = prepare(client, click.code)
    assert answer["error"] == -7
    assert answer["error_note"] == "Failed to update user"
    assert unchanged(invoice)
