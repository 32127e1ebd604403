"""No Paynet credential (the password, the Basic header, a new password sent by ChangePassword)
in integration logs, API responses or admin pages."""

from __future__ import annotations

import base64
import json

import pytest

from integrations.models import IntegrationLog
from payments.models import PaymentTransaction
from payments.services import invoice_create
from payments.tests.paynet.calls import (
    AUTHORIZATION,
    LOGIN,
    ORDER,
    PASSWORD,
    SERVICE_ID,
    TIYIN,
    basic,
    paynet_integration,
    perform_params,
    post_raw,
    rpc,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Paynet-N3w-Secret-q81"
GUESS = "guessed-Password-77"


@pytest.fixture
def traffic(client):
    """A full payment, refused calls, a ChangePassword (also one not JSON and one refused)."""
    paynet = paynet_integration()
    invoice_create(order_id=ORDER, amount=TIYIN)
    rpc(client, "GetInformation", {"serviceId": SERVICE_ID, "fields": {"order_id": ORDER}})
    rpc(client, "PerformTransaction", perform_params())
    rpc(client, "CheckTransaction", {"serviceId": SERVICE_ID, "transactionId": 884120371})
    post_raw(
        client,
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "GetStatement"}),
        authorization=basic(LOGIN, GUESS),
    )
    post_raw(
        client,
        '{"jsonrpc": "2.0", "method": "ChangePassword", "params": {"newPassword": "'
        + NEW_PASSWORD
        + '"',
    )
    post_raw(
        client,
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "ChangePassword",
                "params": {"newPassword": NEW_PASSWORD},
            }
        ),
        authorization=basic(LOGIN, GUESS),
    )
    answer = rpc(client, "ChangePassword", {"newPassword": NEW_PASSWORD})
    assert answer["result"] == "success"
    return paynet


def forbidden() -> list[str]:
    return [
        PASSWORD,
        NEW_PASSWORD,
        GUESS,
        AUTHORIZATION,
        AUTHORIZATION.split()[1],
        basic(LOGIN, NEW_PASSWORD).split()[1],
        basic(LOGIN, GUESS).split()[1],
    ]


def test_integration_logs_hold_no_credential(traffic):
    logs = IntegrationLog.objects.filter(integration=traffic)
    assert logs.count() == 7
    for log in logs:
        text = json.dumps(
            [log.endpoint, log.request_data, log.response_data, log.error_message, log.metadata],
            ensure_ascii=False,
        )
        for secret in forbidden():
            assert secret not in text, (log.action, secret)
    changed = logs.get(action="paynet.ChangePassword", status_code=200, error_message=None)
    assert changed.request_data["body"]["params"]["newPassword"] == "[REDACTED]"


def test_api_responses_hold_no_credential(traffic, api_client):
    pages = []
    for url in [
        "/api/payment-invoices",
        "/api/payment-transactions",
        "/api/integration-logs",
        f"/api/integrations/{traffic.id}",
        "/api/webhooks",
    ]:
        response = api_client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert "paynet.PerformTransaction" in "".join(pages)
    for page in pages:
        for secret in forbidden():
            assert secret not in page


def test_admin_pages_hold_no_credential(traffic, admin_client):
    payment = PaymentTransaction.objects.get()
    pages = []
    for url in [
        "/admin/payments/paymenttransaction/",
        f"/admin/payments/paymenttransaction/{payment.pk}/change/",
        "/admin/integrations/integrationlog/",
        f"/admin/integrations/integration/{traffic.pk}/change/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    assert str(payment.provider_trn_id) in pages[1]
    for page in pages:
        for secret in forbidden():
            assert secret not in page
    assert base64.b64encode(NEW_PASSWORD.encode()).decode() not in "".join(pages)
