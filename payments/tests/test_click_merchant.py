"""The Click merchant API client: the Auth header (the vector of gateways.md 3), so'm at that
boundary only, the answers it tells apart, and logs that never hold the secret or the header."""

from __future__ import annotations

import pytest

from integrations.models import IntegrationLog
from payments.click_merchant import (
    ClickMerchantClient,
    ClickMerchantNoAnswer,
    click_auth_header,
    soums_text,
)
from payments.tests import click_server as fake

pytestmark = pytest.mark.django_db


def test_auth_header_matches_the_published_vector():
    assert (
        click_auth_header(
            merchant_user_id="41207", secret_key="Sk-9fQ2xLm7Zp4", timestamp=1768467790
        )
        == "41207:24b49bcc3bdc3cf2d930d347fae21a9453e8117f:1768467790"
    )


def test_auth_header_hashes_timestamp_first_not_secret_first():
    header = click_auth_header(merchant_user_id="1", secret_key="abc", timestamp=1700000000)
    assert header.split(":")[1] != __import__("hashlib").sha1(b"abc1700000000").hexdigest()


@pytest.mark.parametrize(
    ("tiyin", "text"), [(1_200_000, "12000.00"), (1, "0.01"), (150_050, "1500.50"), (99, "0.99")]
)
def test_soums_have_two_decimals(tiyin, text):
    assert soums_text(tiyin) == text


def test_charge_sends_soums_with_two_decimals_and_a_valid_auth(click_api, click_server):
    answer = ClickMerchantClient(click_api).click_pass_payment(
        otp_data="880101698207133392",
        amount_tiyin=1_200_000,
        transaction_id="5f1c9a4e-7d2b-4c8e-a1f3-9b0d6e2c4a71",
        cashbox_code="VM-07",
    )
    assert answer.succeeded and answer.body["payment_status"] == 2
    seen = click_server.state.requests[-1]
    assert seen.body["amount"] == 12000.0 and seen.body["service_id"] == fake.SERVICE_ID
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Auth"].startswith("41207:")


def test_wrong_secret_is_refused_by_the_server(click_api):
    click_api.api_secret = "not-the-secret"
    click_api.save()
    answer = ClickMerchantClient(click_api).payment_status(payment_id=1)
    assert answer.http_status == 401 and answer.refused and not answer.succeeded


def test_a_500_and_a_timeout_are_no_answer(click_api, click_server):
    click_server.state.status_answers = ["500", "timeout", 2]
    client = ClickMerchantClient(click_api)
    with pytest.raises(ClickMerchantNoAnswer, match="HTTP 500"):
        client.payment_status(payment_id=4567891234)
    with pytest.raises(ClickMerchantNoAnswer, match="timed out"):
        client.payment_status(payment_id=4567891234)
    # Not retried by the client: exactly one request each.
    assert len(click_server.state.calls("/payment/status/")) == 2


def test_missing_configuration_is_reported_without_a_call(click_api, click_server):
    click_api.config = {**click_api.config, "merchant_user_id": ""}
    click_api.save()
    with pytest.raises(ClickMerchantNoAnswer, match="merchant_user_id"):
        ClickMerchantClient(click_api).payment_status(payment_id=1)
    assert click_server.state.requests == []


def test_logs_hold_neither_the_auth_header_nor_the_secret_nor_the_otp(click_api, click_server):
    ClickMerchantClient(click_api).click_pass_payment(
        otp_data="880101698207133392", amount_tiyin=5000, transaction_id="t-1"
    )
    sent_auth = click_server.state.requests[-1].headers["Auth"]
    log = IntegrationLog.objects.get(action="click.pass_payment")
    text = f"{log.endpoint}{log.request_data}{log.response_data}{log.error_message}"
    assert log.request_data["headers"]["Auth"] == "[REDACTED]"
    assert sent_auth not in text and sent_auth.split(":")[1] not in text
    assert fake.SECRET not in text and "880101698207133392" not in text
    assert log.request_data["body"]["amount"] == "50.00"
