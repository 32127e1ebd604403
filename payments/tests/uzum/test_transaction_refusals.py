"""Uzum's Merchant API on the wire (gateways.md 1.3): the refusals about a transaction (an unknown
one, confirm and reverse, 10014 to 10018), 99999 for a failure, and /check and /status changing
nothing."""

from __future__ import annotations

import pytest
import time_machine
from django.db import OperationalError, connection
from django.utils import timezone

from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.services import invoice_cancel
from payments.tests.factories import PaymentInvoiceFactory
from payments.tests.uzum.helpers import (
    AMOUNT,
    SERVICE_ID,
    TRANS_ID,
    UZUM_CODE,
    body,
    code_of,
    create,
    created_and_confirmed,
    error_of,
    uzum_basic,
    uzum_integration,
    uzum_post,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


# --- 10014 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["confirm", "reverse", "status"])
def test_10014_unknown_trans_id(client, uzum, order, operation):
    assert code_of(client, operation) == "10014"


def test_10014_for_another_integrations_transaction(client, uzum, order):
    create(client)
    uzum_integration(code="uzum-other", config={"service_id": 5})
    other = body("status", serviceId=5)
    assert code_of(client, "status", other, code="uzum-other") == "10014"


# --- 10015 / 10016 ----------------------------------------------------------------------------


def test_10016_replayed_confirm(client, uzum, order):
    created_and_confirmed(client)
    assert code_of(client, "confirm") == "10016"
    assert Webhook.objects.filter(event_type="payment.completed").count() == 1


def test_10015_confirm_of_reversed(client, uzum, order):
    create(client)
    uzum_post(client, "reverse", body("reverse"))
    assert code_of(client, "confirm") == "10015"
    order.refresh_from_db()
    assert order.status == InvoiceStatus.PENDING


def test_10015_confirm_after_the_window_marks_failed(client, uzum, order):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        create(client)
        traveller.shift(1801)
        assert code_of(client, "confirm") == "10015"
    payment = PaymentTransaction.objects.get()
    assert (payment.state, payment.reason) == (-1, 4)
    order.refresh_from_db()
    assert order.status == InvoiceStatus.PENDING
    assert code_of(client, "confirm") == "10015"  # and stays so
    assert uzum_post(client, "status", body("status"))[1]["status"] == "FAILED"


def test_confirm_just_inside_the_window(client, uzum, order):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        create(client)
        traveller.shift(1799)
        assert uzum_post(client, "confirm", body("confirm"))[0] == 200


def test_confirm_timeout_from_config(client, order):
    uzum_integration(config={"confirm_timeout_s": 60})
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        create(client)
        traveller.shift(61)
        assert code_of(client, "confirm") == "10015"


def test_10015_invoice_cancelled_meanwhile(client, uzum, order):
    create(client)
    invoice_cancel(invoice=order)
    assert code_of(client, "confirm") == "10015"
    payment = PaymentTransaction.objects.get()
    assert (payment.state, payment.reason) == (-1, 4)
    read = uzum_post(client, "status", body("status"))[1]
    assert (read["status"], read["reverseTime"]) == ("FAILED", None)


def test_10015_invoice_no_longer_pending_under_a_created_transaction(client, uzum, order):
    """Should the invoice leave pending without the cancel service (written straight into the
    database), /confirm marks the transaction FAILED and refuses."""
    create(client)
    PaymentInvoice.objects.filter(pk=order.pk).update(status=InvoiceStatus.CANCELLED)
    assert code_of(client, "confirm") == "10015"
    payment = PaymentTransaction.objects.get()
    assert (payment.state, payment.reason) == (-1, 4)
    assert Webhook.objects.filter(event_type="payment.cancelled").count() == 1


def test_10016_before_10015(client, uzum, order):
    """Confirmed, and long past the window: still a replay."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        created_and_confirmed(client)
        traveller.shift(7200)
        assert code_of(client, "confirm") == "10016"


# --- 10017 / 10018 ----------------------------------------------------------------------------


def test_10017_refunds_forbidden(client, order):
    uzum_integration(config={"refunds_allowed": False})
    created_and_confirmed(client)
    assert code_of(client, "reverse") == "10017"
    order.refresh_from_db()
    assert order.status == InvoiceStatus.PAID


def test_reverse_of_created_allowed_even_when_refunds_are_forbidden(client, order):
    uzum_integration(config={"refunds_allowed": False})
    create(client)
    assert uzum_post(client, "reverse", body("reverse"))[0] == 200


def test_10018_replayed_reverse(client, uzum, order):
    create(client)
    assert uzum_post(client, "reverse", body("reverse"))[0] == 200
    assert code_of(client, "reverse") == "10018"
    assert Webhook.objects.filter(event_type="payment.cancelled").count() == 1


def test_10018_before_10017(client, uzum, order):
    created_and_confirmed(client)
    uzum_post(client, "reverse", body("reverse"))
    from integrations.models import Integration

    Integration.objects.filter(code=UZUM_CODE).update(
        config={"service_id": SERVICE_ID, "refunds_allowed": False}
    )
    assert code_of(client, "reverse") == "10018"


# --- 99999 ------------------------------------------------------------------------------------


def test_99999_inactive_integration(client, order):
    uzum_integration(status="inactive")
    for operation in ("check", "create", "confirm", "reverse", "status"):
        assert code_of(client, operation) == "99999"
    assert not PaymentTransaction.objects.exists()
    # Without credentials it is 10001: a stranger is not told the merchant is switched off.
    assert code_of(client, "check", authorization=uzum_basic(password="x")) == "10001"


def _database_down(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_99999_database_down_during_the_operation(client, uzum, order):
    create(client)
    with connection.execute_wrapper(_database_down):
        status, answer = uzum_post(client, "confirm", body("confirm"))
    assert error_of(status, answer) == "99999"
    assert answer["transId"] == TRANS_ID
    order.refresh_from_db()
    assert order.status == InvoiceStatus.PENDING


def test_99999_database_down_before_the_integration_is_read(client, uzum):
    with connection.execute_wrapper(_database_down):
        status, answer = uzum_post(client, "status", body("status"))
    assert error_of(status, answer) == "99999"
    assert answer["serviceId"] == SERVICE_ID  # from the body: the config could not be read
    assert answer["transId"] == TRANS_ID


# --- /check and /status are read-only --------------------------------------------------------


def test_check_and_status_change_nothing(client, uzum, order):
    for _ in range(3):
        assert uzum_post(client, "check", body("check"))[0] == 200
    assert not PaymentTransaction.objects.exists()
    create(client)
    before = PaymentTransaction.objects.values().get()
    for _ in range(5):
        status, answer = uzum_post(client, "status", body("status"))
        assert (status, answer["status"]) == (200, "CREATED")
        assert answer["confirmTime"] is None and answer["reverseTime"] is None
    assert PaymentTransaction.objects.values().get() == before
    assert Webhook.objects.count() == 1


def test_check_answers_som_with_cents(client, uzum):
    PaymentInvoiceFactory(order_id="cents-1", amount=1_200_050)
    answer = uzum_post(client, "check", body("check", params={"order_id": "cents-1"}))[1]
    assert answer["data"]["amount"] == {"value": "12000.50"}
    assert answer["data"]["account"] == {"value": "cents-1"}


def test_numeric_order_id_in_params(client, uzum):
    PaymentInvoiceFactory(order_id="4217", amount=AMOUNT)
    assert uzum_post(client, "check", body("check", params={"order_id": 4217}))[0] == 200
