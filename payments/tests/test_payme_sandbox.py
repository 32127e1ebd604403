"""The Payme sandbox sequence (protocols.md), one test per step, through the receive URL."""

from __future__ import annotations

import pytest

from integrations.models import IntegrationLog
from payments.models import InvoiceStatus, PaymentTransaction
from payments.tests.helpers import AMOUNT, ORDER_ID, basic, payme_call
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

PAYME_ID = "5305e3bab097f420a62ced0b"
OTHER_ID = "6305e3bab097f420a62ced0c"
TIME = 1_700_000_000_000
ACCOUNT = {"order_id": ORDER_ID}
METHODS = [
    ("CheckPerformTransaction", {"amount": AMOUNT, "account": ACCOUNT}),
    ("CreateTransaction", {"id": PAYME_ID, "time": TIME, "amount": AMOUNT, "account": ACCOUNT}),
    ("PerformTransaction", {"id": PAYME_ID}),
    ("CancelTransaction", {"id": PAYME_ID, "reason": 1}),
    ("CheckTransaction", {"id": PAYME_ID}),
    ("GetStatement", {"from": 0, "to": TIME}),
    ("ChangePassword", {"password": "new-key"}),
    ("NoSuchMethod", {}),
]


def create(client, code, payme_id=PAYME_ID, amount=AMOUNT, account=None):
    return payme_call(
        client,
        code,
        "CreateTransaction",
        {"id": payme_id, "time": TIME, "amount": amount, "account": account or ACCOUNT},
    )


@pytest.mark.parametrize(("method", "params"), METHODS)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        basic("wrong-key"),
        basic("payme-cash-register-key-&3Xq9", login="Other"),
        "Bearer x",
    ],
)
def test_step1_every_method_with_wrong_auth_is_32504(
    client, payme, invoice, method, params, authorization
):
    kwargs = {"authorization": authorization} if authorization is not None else {"key": "bad"}
    answer = payme_call(client, payme.code, method, params, **kwargs)
    assert answer["error"]["code"] == -32504
    assert set(answer["error"]["message"]) == {"ru", "uz", "en"}
    assert answer["id"] == 1
    assert PaymentTransaction.objects.count() == 0
    payme.refresh_from_db()
    assert payme.api_secret == "payme-cash-register-key-&3Xq9"


@pytest.mark.parametrize("method", ["CheckPerformTransaction", "CreateTransaction"])
def test_step2_wrong_amount_is_31001(client, payme, invoice, method):
    params = {"amount": AMOUNT + 100, "account": ACCOUNT}
    if method == "CreateTransaction":
        params.update(id=PAYME_ID, time=TIME)
    answer = payme_call(client, payme.code, method, params)
    assert answer["error"]["code"] == -31001
    assert set(answer["error"]["message"]) == {"ru", "uz", "en"}
    assert PaymentTransaction.objects.count() == 0


@pytest.mark.parametrize("method", ["CheckPerformTransaction", "CreateTransaction"])
def test_step3_unknown_account_is_31050_naming_the_field(client, payme, invoice, method):
    params = {"amount": AMOUNT, "account": {"order_id": "no-such-order"}}
    if method == "CreateTransaction":
        params.update(id=PAYME_ID, time=TIME)
    answer = payme_call(client, payme.code, method, params)
    assert answer["error"]["code"] == -31050
    assert answer["error"]["data"] == "order_id"
    assert answer["error"]["message"]["ru"]
    assert PaymentTransaction.objects.count() == 0


def test_step4_check_perform_allows(client, payme, invoice):
    answer = payme_call(
        client, payme.code, "CheckPerformTransaction", {"amount": AMOUNT, "account": ACCOUNT}
    )
    assert answer == {"jsonrpc": "2.0", "id": 1, "result": {"allow": True}}


def test_step5_create_create_again_check(client, payme, invoice):
    first = create(client, payme.code)
    payment = PaymentTransaction.objects.get()
    assert first["result"] == {
        "create_time": payment.create_time,
        "transaction": str(payment.id),
        "state": 1,
        "receivers": None,
    }
    assert payment.create_time > 0
    assert (payment.time, payment.amount, payment.account) == (TIME, AMOUNT, ACCOUNT)
    assert create(client, payme.code) == first
    check = payme_call(client, payme.code, "CheckTransaction", {"id": PAYME_ID})
    assert check["result"] == {
        "create_time": payment.create_time,
        "perform_time": 0,
        "cancel_time": 0,
        "transaction": str(payment.id),
        "state": 1,
        "reason": None,
    }
    assert PaymentTransaction.objects.count() == 1
    assert list(Webhook.objects.values_list("event_type", flat=True)) == ["payment.created"]


def test_step6_create_with_a_new_id_for_the_same_invoice_is_31008(client, payme, invoice):
    create(client, payme.code)
    answer = create(client, payme.code, payme_id=OTHER_ID)
    assert answer["error"]["code"] == -31008
    assert PaymentTransaction.objects.count() == 1


def test_step7_cancel_the_created_transaction_then_check(client, payme, invoice):
    create(client, payme.code)
    cancel = payme_call(client, payme.code, "CancelTransaction", {"id": PAYME_ID, "reason": 3})
    payment = PaymentTransaction.objects.get()
    assert cancel["result"] == {
        "transaction": str(payment.id),
        "cancel_time": payment.cancel_time,
        "state": -1,
    }
    assert payment.cancel_time >= payment.create_time > 0
    assert payme_call(client, payme.code, "CancelTransaction", {"id": PAYME_ID, "reason": 3}) == (
        cancel
    )
    check = payme_call(client, payme.code, "CheckTransaction", {"id": PAYME_ID})
    assert check["result"]["state"] == -1
    assert check["result"]["reason"] == 3
    assert check["result"]["cancel_time"] == payment.cancel_time
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_then_create_perform_twice_check_cancel_twice_check(client, payme, invoice):
    create(client, payme.code)
    payme_call(client, payme.code, "CancelTransaction", {"id": PAYME_ID, "reason": 3})
    # A new transaction for the same invoice, now that the first one is cancelled.
    created = create(client, payme.code, payme_id=OTHER_ID)
    assert created["result"]["state"] == 1
    assert create(client, payme.code, payme_id=OTHER_ID) == created

    perform = payme_call(client, payme.code, "PerformTransaction", {"id": OTHER_ID})
    payment = PaymentTransaction.objects.get(provider_transaction_id=OTHER_ID)
    assert perform["result"] == {
        "transaction": str(payment.id),
        "perform_time": payment.perform_time,
        "state": 2,
    }
    assert payment.perform_time >= payment.create_time
    assert payme_call(client, payme.code, "PerformTransaction", {"id": OTHER_ID}) == perform
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert (invoice.provider, invoice.provider_transaction_id) == ("payme", OTHER_ID)
    assert invoice.paid_at is not None

    check = payme_call(client, payme.code, "CheckTransaction", {"id": OTHER_ID})
    assert check["result"]["state"] == 2
    assert check["result"]["perform_time"] == payment.perform_time

    cancel = payme_call(client, payme.code, "CancelTransaction", {"id": OTHER_ID, "reason": 5})
    payment.refresh_from_db()
    assert cancel["result"] == {
        "transaction": str(payment.id),
        "cancel_time": payment.cancel_time,
        "state": -2,
    }
    assert payme_call(client, payme.code, "CancelTransaction", {"id": OTHER_ID, "reason": 5}) == (
        cancel
    )
    check = payme_call(client, payme.code, "CheckTransaction", {"id": OTHER_ID})
    assert check["result"] == {
        "create_time": payment.create_time,
        "perform_time": payment.perform_time,
        "cancel_time": payment.cancel_time,
        "transaction": str(payment.id),
        "state": -2,
        "reason": 5,
    }
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REFUNDED
    events = sorted(
        Webhook.objects.filter(external_id__contains=str(payment.id)).values_list(
            "event_type", flat=True
        )
    )
    assert events == ["payment.cancelled", "payment.completed", "payment.created"]


def test_every_call_writes_an_inbound_log_without_the_key(client, payme, invoice):
    create(client, payme.code)
    payme_call(client, payme.code, "CheckTransaction", {"id": PAYME_ID}, key="wrong")
    logs = list(IntegrationLog.objects.filter(integration=payme).order_by("created_at"))
    assert [(log.direction, log.action, log.status_code) for log in logs] == [
        ("inbound", "payme.CreateTransaction", 200),
        ("inbound", "payme.CheckTransaction", 200),
    ]
    assert logs[1].response_data["error"]["code"] == -32504
    for log in logs:
        assert log.request_data["headers"]["Authorization"] == "[REDACTED]"
        text = str(log.request_data) + str(log.response_data) + str(log.error_message)
        assert "payme-cash-register-key" not in text
        assert basic("payme-cash-register-key-&3Xq9").split()[1] not in text
