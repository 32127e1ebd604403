"""Property-based fuzzing (hypothesis) of Uzum's five webhooks: random operations, verbs, bodies
and Authorization headers. Whatever arrives, the answer is HTTP 200 or 400 with Uzum's error body
(a string errorCode), never a 5xx; without the right credentials nothing changes (no transaction,
no invoice status, no event) and the answer is 10001 (or 10003, which needs no credentials).

Bounded and deterministic: ``derandomize=True`` and a fixed example count per test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from core.testing.fuzz import FUZZ, json_scalars, json_values
from payments.models import InvoiceStatus, PaymentInvoice, PaymentTransaction
from payments.services import invoice_create
from payments.tests.uzum.helpers import (
    AMOUNT,
    AUTHORIZATION,
    ORDER,
    SERVICE_ID,
    TRANS_ID,
    UZUM_CODE,
    UZUM_LOGIN,
    UZUM_PASSWORD,
    uzum_basic,
    uzum_integration,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


OPERATIONS = ["check", "create", "confirm", "reverse", "status"]
# Every code of gateways.md 1.3 except 99999: with the database up, nothing here is unexpected.
KNOWN_CODES = {f"100{n:02d}" for n in (2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)}
JSON_SCALARS = json_scalars(text=20)
JSON_VALUES = json_values(text=20, width=3, leaves=8)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=300))
    fields = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "serviceId": st.just(SERVICE_ID) | st.integers() | JSON_SCALARS,
                "timestamp": st.integers(min_value=-(2**70), max_value=2**70) | JSON_SCALARS,
                "transId": st.just(TRANS_ID) | st.uuids().map(str) | JSON_SCALARS,
                "params": st.fixed_dictionaries(
                    {}, optional={"order_id": st.just(ORDER) | JSON_SCALARS}
                )
                | JSON_VALUES,
                "amount": st.just(AMOUNT)
                | st.integers(min_value=-(2**70), max_value=2**70)
                | JSON_SCALARS,
                "paymentSource": st.just("UZCARD") | JSON_SCALARS,
                "phone": st.just("998901234567") | JSON_SCALARS,
                "tariff": JSON_SCALARS,
                "processingReferenceNumber": JSON_SCALARS,
                "cardType": JSON_SCALARS,
            },
        )
    )
    if draw(st.integers(0, 9)) == 0:
        return json.dumps(draw(JSON_VALUES)).encode()
    return json.dumps(fields).encode()


@st.composite
def wrong_authorizations(draw: st.DrawFn) -> str | None:
    wrong = draw(st.text(max_size=20).filter(lambda text: text != UZUM_PASSWORD))
    return draw(
        st.sampled_from(
            [
                None,
                "",
                uzum_basic(password=wrong),
                uzum_basic(login=draw(st.text(max_size=10).filter(lambda x: x != UZUM_LOGIN))),
                "Basic " + draw(st.text(max_size=40)),
                "Bearer " + UZUM_PASSWORD,
                AUTHORIZATION[:-4],
                f"{UZUM_LOGIN}:{UZUM_PASSWORD}",
            ]
        )
    )


def send(client: Client, operation: str, method: str, raw: bytes, authorization: str | None) -> Any:
    headers = {"Authorization": authorization} if authorization is not None else {}
    url = f"/api/webhooks/receive/{UZUM_CODE}/{operation}"
    return client.generic(method, url, data=raw, content_type="application/json", headers=headers)


def assert_uzum_answer(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 400), response.content
    answer: dict[str, Any] = response.json()
    if response.status_code == 400:
        assert answer["status"] == "FAILED"
        assert isinstance(answer["errorCode"], str)
    return answer


@pytest.fixture
def pending(db) -> PaymentInvoice:
    return invoice_create(order_id=ORDER, amount=AMOUNT)


def test_without_credentials_nothing_changes(pending):
    uzum_integration()
    client = Client()

    @FUZZ
    @given(
        operation=st.sampled_from(OPERATIONS)
        | st.text(alphabet="abcdefgz", min_size=1, max_size=8),
        method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]),
        raw=bodies(),
        authorization=wrong_authorizations(),
    )
    def check(operation: str, method: str, raw: bytes, authorization: str | None) -> None:
        answer = assert_uzum_answer(send(client, operation, method, raw, authorization))
        assert answer["errorCode"] in ("10001", "10003")
        pending.refresh_from_db()
        assert pending.status == InvoiceStatus.PENDING
        assert PaymentTransaction.objects.count() == 0
        assert Webhook.objects.count() == 0

    check()


def test_with_credentials_never_a_5xx(pending):
    uzum_integration()
    client = Client()

    @FUZZ
    @given(operation=st.sampled_from(OPERATIONS), raw=bodies())
    def check(operation: str, raw: bytes) -> None:
        response = send(client, operation, "POST", raw, AUTHORIZATION)
        answer = assert_uzum_answer(response)
        if response.status_code == 200:
            assert "errorCode" not in answer
            assert answer["status"] in ("OK", "CREATED", "CONFIRMED", "REVERSED", "FAILED")
        else:
            assert answer["errorCode"] in KNOWN_CODES, answer
        # At most one live transaction for the invoice, whatever happened.
        assert PaymentTransaction.objects.filter(state__in=[1, 2]).count() <= 1

    check()
