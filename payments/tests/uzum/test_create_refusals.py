"""Uzum's Merchant API on the wire (gateways.md 1.3): the refusals of /check and /create, row by
row (10005 to 10013), and their check order when several things are wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.services import invoice_cancel, invoice_create
from payments.tests.factories import PaymentInvoiceFactory
from payments.tests.helpers import payme_call
from payments.tests.uzum.helpers import (
    AMOUNT,
    ORDER,
    OTHER_ID,
    SERVICE_ID,
    UZUM_CODE,
    body,
    code_of,
    create,
    created_and_confirmed,
    uzum_integration,
    uzum_post,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


# --- 10005 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "field", "value"),
    [
        ("check", "serviceId", ...),
        ("check", "serviceId", "101202"),
        ("check", "serviceId", 101202.0),
        ("check", "serviceId", True),
        ("check", "timestamp", ...),
        ("check", "timestamp", "1768467790120"),
        ("check", "params", ...),
        ("check", "params", ["order_id"]),
        ("check", "params", "VM07-20260115-0042"),
        ("create", "params", ...),
        ("create", "transId", ...),
        ("create", "transId", 12345),
        ("create", "transId", ""),
        ("create", "transId", "x" * 65),
        ("create", "amount", ...),
        ("create", "amount", "1200000"),
        ("create", "amount", 1200000.0),
        ("create", "amount", None),
        ("confirm", "transId", ...),
        ("confirm", "paymentSource", ...),
        ("confirm", "paymentSource", 7),
        ("confirm", "phone", ...),
        ("confirm", "phone", 998901234567),
        ("confirm", "phone", None),
        ("reverse", "transId", ...),
        ("reverse", "transId", None),
        ("status", "transId", ...),
        ("status", "timestamp", None),
    ],
)
def test_10005_required_fields(client, uzum, order, operation, field, value):
    assert code_of(client, operation, body(operation, **{field: value})) == "10005"
    assert not PaymentTransaction.objects.exists()


def test_confirm_optional_extras_may_be_absent(client, uzum, order):
    create(client)
    payload = body("confirm", tariff=..., processingReferenceNumber=..., cardType=...)
    assert uzum_post(client, "confirm", payload)[0] == 200


# --- 10006 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["check", "create", "confirm", "reverse", "status"])
def test_10006_service_id(client, uzum, order, operation):
    assert code_of(client, operation, body(operation, serviceId=101203)) == "10006"


def test_10006_when_no_service_id_is_configured(client, order):
    uzum_integration(config={"service_id": None})
    assert code_of(client, "check") == "10006"


def test_service_id_compared_as_string(client, order):
    uzum_integration(config={"service_id": "101202"})
    assert uzum_post(client, "check", body("check"))[0] == 200


# --- 10007 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{}, {"order_id": "missing-order"}, {"order_id": None}, {"order_id": ""}, {"account": ORDER}],
)
def test_10007_attribute_not_found(client, uzum, order, params):
    assert code_of(client, "check", body("check", params=params)) == "10007"
    assert code_of(client, "create", body("create", params=params)) == "10007"


def test_account_field_from_config(client, order):
    uzum_integration(config={"account_field": "account"})
    assert code_of(client, "check") == "10007"
    answer = uzum_post(client, "check", body("check", params={"account": ORDER}))
    assert answer[0] == 200


# --- 10008 / 10009 ----------------------------------------------------------------------------


def test_10008_invoice_paid(client, uzum, order):
    created_and_confirmed(client)
    assert code_of(client, "check") == "10008"
    assert code_of(client, "create", body("create", transId=OTHER_ID)) == "10008"


def test_10008_while_another_live_transaction_holds_it(client, uzum, payme, order):
    payme_call(
        client,
        payme.code,
        "CreateTransaction",
        {"id": "p" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER}},
    )
    assert code_of(client, "check") == "10008"
    assert code_of(client, "create") == "10008"
    assert PaymentTransaction.objects.filter(provider="uzum").count() == 0


def test_10008_second_uzum_create_for_the_invoice(client, uzum, order):
    assert create(client)[0] == 200
    assert code_of(client, "check") == "10008"
    assert code_of(client, "create", body("create", transId=OTHER_ID)) == "10008"


def test_10009_cancelled_refunded_expired(client, uzum, order):
    invoice_cancel(invoice=order)
    assert code_of(client, "check") == "10009"
    assert code_of(client, "create") == "10009"
    refunded = PaymentInvoiceFactory(order_id="r-1", amount=AMOUNT)
    PaymentInvoice.objects.filter(pk=refunded.pk).update(status=InvoiceStatus.REFUNDED)
    assert code_of(client, "check", body("check", params={"order_id": "r-1"})) == "10009"
    expired = invoice_create(order_id="e-1", amount=AMOUNT)
    # Born payable (a past expires_at is refused at creation), then past its expiry.
    PaymentInvoice.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert code_of(client, "check", body("check", params={"order_id": "e-1"})) == "10009"
    assert code_of(client, "create", body("create", params={"order_id": "e-1"})) == "10009"
    assert expired.status == InvoiceStatus.PENDING


def test_10008_before_10009_on_check(client, uzum, order):
    """Paid and past expires_at: already paid."""
    created_and_confirmed(client)
    PaymentInvoice.objects.filter(pk=order.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    assert code_of(client, "check") == "10008"


# --- 10010 ------------------------------------------------------------------------------------


def test_10010_replayed_create(client, uzum, order):
    assert create(client)[0] == 200
    assert code_of(client, "create") == "10010"
    assert PaymentTransaction.objects.count() == 1
    assert Webhook.objects.filter(event_type="payment.created").count() == 1


def test_10010_before_10007_to_10011(client, uzum, order):
    """A replay after payment never reads 10008; nor a wrong amount or unknown order 10011/10007."""
    created_and_confirmed(client)
    assert code_of(client, "create") == "10010"
    assert code_of(client, "create", body("create", amount=1)) == "10010"
    assert code_of(client, "create", body("create", params={"order_id": "zz"})) == "10010"


def test_10010_any_state_and_other_invoice(client, uzum, order):
    create(client)
    uzum_post(client, "reverse", body("reverse"))
    PaymentInvoiceFactory(order_id="o-2", amount=AMOUNT)
    assert code_of(client, "create", body("create", params={"order_id": "o-2"})) == "10010"


# --- 10011 / 10012 / 10013 --------------------------------------------------------------------


@pytest.mark.parametrize("amount", [AMOUNT - 1, AMOUNT + 1, AMOUNT // 100, 0, -AMOUNT, 2**63 - 1])
def test_10011_wrong_amount(client, uzum, order, amount):
    assert code_of(client, "create", body("create", amount=amount)) == "10011"
    assert not PaymentTransaction.objects.exists()


def test_10011_after_10008_and_10009(client, uzum, order):
    invoice_cancel(invoice=order)
    assert code_of(client, "create", body("create", amount=1)) == "10009"


def test_10012_10013_bounds(client, order):
    uzum_integration(config={"min_amount": AMOUNT + 1})
    assert code_of(client, "create") == "10012"
    assert code_of(client, "create", body("create", amount=5)) == "10011"  # 10011 first
    from integrations.models import Integration

    Integration.objects.filter(code=UZUM_CODE).update(
        config={"service_id": SERVICE_ID, "max_amount": AMOUNT - 1}
    )
    assert code_of(client, "create") == "10013"
    Integration.objects.filter(code=UZUM_CODE).update(
        config={"service_id": SERVICE_ID, "min_amount": AMOUNT, "max_amount": AMOUNT}
    )
    assert create(client)[0] == 200


def test_sibling_guard_comes_after_the_amount(client, uzum, order):
    create(client)
    assert code_of(client, "create", body("create", transId=OTHER_ID, amount=7)) == "10011"
