"""Uzum's Merchant API on the wire: every row of gateways.md 1.3's error table, the check order
(when several things are wrong, the earlier check answers), the error body's shape, replays, and
the route (…/receive/<code>/<operation>, trailing slash, no or another operation)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, connection
from django.utils import timezone

from integrations.models import IntegrationLog
from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.services import invoice_cancel, invoice_create
from payments.tests.helpers import payme_call
from payments.tests.uzum_helpers import (
    AMOUNT,
    ORDER,
    SERVICE_ID,
    TRANS_ID,
    UZUM_CODE,
    body,
    error_of,
    uzum_basic,
    uzum_integration,
    uzum_post,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

OTHER_ID = "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a"


@pytest.fixture
def uzum(db):
    return uzum_integration()


@pytest.fixture
def order(db):
    return invoice_create(order_id=ORDER, amount=AMOUNT)


def code_of(client, operation: str, payload: Any = None, **kwargs: Any) -> str:
    status, answer = uzum_post(
        client, operation, body(operation) if payload is None else payload, **kwargs
    )
    return error_of(status, answer)


def create(client, trans_id: str = TRANS_ID, **fields: Any) -> tuple[int, dict[str, Any]]:
    return uzum_post(client, "create", body("create", transId=trans_id, **fields))


def created_and_confirmed(client) -> None:
    assert create(client)[0] == 200
    assert uzum_post(client, "confirm", body("confirm"))[0] == 200


# --- the error body ---------------------------------------------------------------------------


def test_error_body_shape(client, uzum, order):
    status, answer = uzum_post(client, "confirm", body("confirm", transId=OTHER_ID))
    assert status == 400
    assert set(answer) == {"serviceId", "timestamp", "status", "errorCode", "transId"}
    assert answer["serviceId"] == SERVICE_ID
    assert (answer["status"], answer["errorCode"], answer["transId"]) == (
        "FAILED",
        "10014",
        OTHER_ID,
    )
    check = uzum_post(client, "check", body("check", params={"order_id": "nope"}))[1]
    assert "transId" not in check


def test_unparsable_body_takes_service_id_from_config(client, uzum):
    status, answer = uzum_post(client, "check", None, raw=b"{not json")
    assert error_of(status, answer) == "10002"
    assert answer["serviceId"] == SERVICE_ID
    assert "transId" not in answer


def test_every_error_echoes_the_requests_trans_id_and_service_id(client, order):
    """gateways.md 1.2: the error body carries ``transId`` when the request had one, and
    ``serviceId`` from the config only when the body could not be parsed: also for the codes
    answered before the body is needed (10001, 10003, 99999 of an inactive integration)."""
    integration = uzum_integration()
    sent = body("confirm", transId=OTHER_ID, serviceId=SERVICE_ID + 1)
    for operation, authorization, code in (
        ("confirm", uzum_basic(password="wrong"), "10001"),
        ("confirm", None, "10001"),
        ("pay", uzum_basic(), "10003"),
        ("pay", None, "10003"),
    ):
        status, answer = uzum_post(client, operation, sent, authorization=authorization)
        assert error_of(status, answer) == code
        assert (answer["transId"], answer["serviceId"]) == (OTHER_ID, SERVICE_ID + 1), answer
    integration.status = "inactive"
    integration.save(update_fields=["status"])
    status, answer = uzum_post(client, "status", body("status", transId=OTHER_ID))
    assert error_of(status, answer) == "99999"
    assert (answer["transId"], answer["serviceId"]) == (OTHER_ID, SERVICE_ID)
    # What was sent is logged as for any other call (the Authorization header hidden).
    log = IntegrationLog.objects.filter(integration=integration).order_by("created_at").first()
    assert log is not None
    assert log.request_data["body"]["transId"] == OTHER_ID


# --- 10001 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer abc",
        "Basic",
        "Basic !!!not-base64!!!",
        uzum_basic(password="wrong"),
        uzum_basic(login="someone-else"),
        uzum_basic(password="Vx9-tQ2r-7Lp "),
        "Basic " + base64.b64encode(b"uzum-vm07Vx9-tQ2r-7Lp").decode(),
    ],
)
def test_10001_authorization(client, uzum, order, authorization):
    for operation in ("check", "create", "confirm", "reverse", "status"):
        assert code_of(client, operation, authorization=authorization) == "10001"
    assert not PaymentTransaction.objects.exists()
    logs = IntegrationLog.objects.filter(integration=uzum)
    assert logs.count() == 5
    assert {log.status_code for log in logs} == {400}


def test_basic_scheme_is_case_insensitive(client, uzum, order):
    token = uzum_basic().split()[1]
    assert uzum_post(client, "check", body("check"), authorization=f"basic {token}")[0] == 200


def test_10001_before_10002_before_10005_before_10006(client, uzum, order):
    wrong = uzum_basic(password="wrong")
    assert code_of(client, "create", raw=b"[1,", authorization=wrong) == "10001"
    assert code_of(client, "create", raw=b"[1,") == "10002"
    assert code_of(client, "create", {"serviceId": 1}, authorization=wrong) == "10001"
    assert code_of(client, "create", {"serviceId": 1}) == "10005"  # before 10006
    no_service_config = {"serviceId": 999, "timestamp": 1}
    assert code_of(client, "status", no_service_config) == "10005"  # transId missing


def test_no_credentials_configured_refuses_everyone(client, order):
    uzum_integration(api_secret="")
    assert code_of(client, "check", authorization=uzum_basic(password="")) == "10001"


# --- 10002 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b'"text"', b"42", b"null", b"\xff\xfe", b'{"a": NaN}', b"[" * 5000],
)
def test_10002_body_not_a_json_object(client, uzum, order, raw):
    assert code_of(client, "check", raw=raw) == "10002"


# --- 10003 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["pay", "CHECK", "perform", "cancel"])
def test_10003_unknown_operation(client, uzum, order, operation):
    assert code_of(client, operation, body("check")) == "10003"


def test_10003_no_operation(client, uzum, order):
    assert code_of(client, "", body("check")) == "10003"
    assert code_of(client, "", body("check"), method="get") == "10003"
    response = client.post(
        f"/api/webhooks/receive/{UZUM_CODE}/",
        data=b"{}",
        content_type="application/json",
        headers={"Authorization": uzum_basic()},
    )
    assert (response.status_code, response.json()["errorCode"]) == (400, "10003")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_10003_verb_not_post(client, uzum, order, method):
    assert code_of(client, "check", body("check"), method=method) == "10003"


@pytest.mark.parametrize("operation", ["", "check"])
def test_10003_options_too(client, uzum, order, operation):
    # OPTIONS is another verb like any other: not the framework's metadata answer (HTTP 200).
    assert code_of(client, operation, body("check"), method="options") == "10003"


def test_10003_needs_no_credentials_or_body(client, uzum):
    assert code_of(client, "refund", None, raw=b"", authorization=None) == "10003"
    assert code_of(client, "check", None, raw=b"", authorization=None, method="get") == "10003"


def test_trailing_slash_accepted(client, uzum, order):
    status, answer = uzum_post(client, "check/", body("check"))
    assert (status, answer["status"]) == (200, "OK")


def test_operation_route_is_404_for_other_integrations(client, payme, order):
    response = client.post(
        f"/api/webhooks/receive/{payme.code}/check", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    unknown = client.post(
        "/api/webhooks/receive/nobody/check", data=b"{}", content_type="application/json"
    )
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Not found."}
    # Payme on its own URL is untouched.
    answer = payme_call(client, payme.code, "CheckTransaction", {"id": "x" * 24})
    assert answer["error"]["code"] == -31003


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
    refunded = invoice_create(order_id="r-1", amount=AMOUNT)
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
    invoice_create(order_id="o-2", amount=AMOUNT)
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
    invoice_create(order_id="cents-1", amount=1_200_050)
    answer = uzum_post(client, "check", body("check", params={"order_id": "cents-1"}))[1]
    assert answer["data"]["amount"] == {"value": "12000.50"}
    assert answer["data"]["account"] == {"value": "cents-1"}


def test_numeric_order_id_in_params(client, uzum):
    invoice_create(order_id="4217", amount=AMOUNT)
    assert uzum_post(client, "check", body("check", params={"order_id": 4217}))[0] == 200
