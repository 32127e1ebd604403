"""The leak scan for Uzum: neither the api_secret nor the Basic credentials (as sent, or their
base64) appear in integration logs, API responses, admin pages, the gateway's answers, or the
application's log output, after a full payment, refused calls and an unexpected fault."""

from __future__ import annotations

import base64
import logging

import pytest
from django.db import OperationalError, connection

from integrations.models import IntegrationLog
from payments.models import PaymentTransaction
from payments.services import invoice_create
from payments.tests.uzum.helpers import (
    AUTHORIZATION,
    ORDER,
    UZUM_LOGIN,
    UZUM_PASSWORD,
    body,
    uzum_basic,
    uzum_integration,
    uzum_post,
)

pytestmark = pytest.mark.django_db

GUESS = "Guessed-Pass-9"


def forbidden() -> list[str]:
    token = AUTHORIZATION.split()[1]
    return [
        UZUM_PASSWORD,
        token,
        token[:-2].rstrip("="),
        f"{UZUM_LOGIN}:{UZUM_PASSWORD}",
        base64.b64encode(UZUM_PASSWORD.encode()).decode(),
        uzum_basic(password=GUESS).split()[1],
    ]


def _down(execute, sql, params, many, context):
    raise OperationalError("connection refused")


@pytest.fixture
def traffic(client, caplog):
    caplog.set_level(logging.DEBUG)
    uzum_integration()
    invoice_create(order_id=ORDER, amount=1_200_000)
    answers = []
    for operation in ("check", "create", "confirm", "status", "reverse"):
        answers.append(uzum_post(client, operation, body(operation)))
    answers.append(
        uzum_post(client, "status", body("status"), authorization=uzum_basic(password=GUESS))
    )
    answers.append(uzum_post(client, "pay", body("status")))
    answers.append(uzum_post(client, "check", None, raw=b"{bad"))
    with connection.execute_wrapper(_down):
        answers.append(uzum_post(client, "status", body("status")))
    assert [status for status, _ in answers] == [200] * 5 + [400] * 4
    return answers, caplog


def test_logs_answers_and_app_log_hold_no_credential(traffic):
    answers, caplog = traffic
    logs = IntegrationLog.objects.all()
    assert logs.count() == 8  # the call that met the database down could not be logged
    texts = [
        f"{log.endpoint}{log.request_data}{log.response_data}{log.error_message}{log.metadata}"
        for log in logs
    ]
    texts += [str(answer) for _, answer in answers]
    texts.append(caplog.text)
    for text in texts:
        for secret in forbidden():
            assert secret not in text
    headers = [log.request_data["headers"].get("Authorization") for log in logs]
    assert all(value is not None and "Basic" not in value for value in headers)


def test_api_and_admin_hold_no_credential(traffic, api_client, admin_client):
    pages = [
        api_client.get(url).content.decode()
        for url in ("/api/payment-transactions", "/api/integration-logs", "/api/webhooks")
    ]
    payment = PaymentTransaction.objects.get()
    for url in (
        "/admin/payments/paymenttransaction/",
        f"/admin/payments/paymenttransaction/{payment.id}/change/",
        "/admin/integrations/integrationlog/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert "uzum.confirm" in "".join(pages)
    assert "601512345678" in pages[4]  # the confirm extras are shown
    for page in pages:
        for secret in forbidden():
            assert secret not in page
