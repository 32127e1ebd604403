"""Uzum's Merchant API on the wire (gateways.md 1.3): the error body's shape, authorization (10001),
a body that is no JSON object (10002), and the route (…/receive/<code>/<operation>, trailing
slash, no or another operation, another verb: 10003)."""

from __future__ import annotations

import base64

import pytest

from integrations.models import IntegrationLog
from payments.models import PaymentTransaction
from payments.tests.helpers import payme_call
from payments.tests.uzum.helpers import (
    OTHER_ID,
    SERVICE_ID,
    UZUM_CODE,
    body,
    code_of,
    error_of,
    uzum_basic,
    uzum_integration,
    uzum_post,
)

pytestmark = pytest.mark.django_db


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
