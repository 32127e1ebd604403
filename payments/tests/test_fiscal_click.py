"""Click OFD (gateways.md 5.2): a paid Click Shop payment of an invoice with items gets a fiscal
receipt through the local Click merchant server; the row drives every retry, a receipt is never
submitted twice, and it fails after config.fiscal_attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.config import IntegrationConfig
from payments.models import FiscalReceipt, PaymentTransaction
from payments.services import fiscal_receipt_process, fiscal_receipt_sweep
from payments.services.fiscal import click_receipt_items, receipt_url_parts, vat_contained
from payments.tests import click_server as fake
from payments.tests.helpers import ITEMS, click_call, click_fields

pytestmark = pytest.mark.django_db

PAYDOC = 4567891234


def shop_pay(client, integration, order_id="vm-07-0001", amount="12000.00", paydoc=PAYDOC):
    common = {
        "order_id": order_id,
        "amount": amount,
        "secret": fake.SECRET,
        "service_id": str(fake.SERVICE_ID),
        "click_paydoc_id": str(paydoc),
    }
    prepared = click_call(client, integration.code, click_fields(0, **common))
    assert prepared["error"] == 0, prepared
    completed = click_call(
        client,
        integration.code,
        click_fields(1, merchant_prepare_id=prepared["merchant_prepare_id"], **common),
    )
    assert completed["error"] == 0, completed
    return PaymentTransaction.objects.get(account__merchant_trans_id=order_id, state=2)


def due_now(receipt):
    FiscalReceipt.objects.filter(pk=receipt.pk).update(next_attempt_at=timezone.now())


# --- the mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "rate", "vat"),
    [(1_200_000, 12, 128_571), (2_000_000, 12, 214_286), (1_000, 0, 0), (115, 15, 15), (56, 12, 6)],
)
def test_vat_is_contained_and_rounded_half_up(price, rate, vat):
    assert vat_contained(price, rate) == vat


def test_items_map_to_clicks_item_exactly():
    config = IntegrationConfig.read({"tin": "301234567"})
    assert click_receipt_items(items=ITEMS, config=config) == [
        {
            "Name": "Latte 0.3 l, pcs",
            "SPIC": "10899001001000000",
            "PackageCode": "1514296",
            "GoodPrice": 600_000,
            "Price": 1_200_000,
            "Amount": 2,
            "VAT": 128_571,
            "VATPercent": 12,
            "CommissionInfo": {"TIN": "301234567"},
        }
    ]


def test_long_names_are_cut_units_sent_when_configured_and_pinfl_used():
    config = IntegrationConfig.read({"pinfl": "31234567890123", "fiscal_units": "241092"})
    item = {**ITEMS[0], "title": "x" * 80}
    (line,) = click_receipt_items(items=[item], config=config)
    assert len(line["Name"]) == 63
    assert line["Units"] == 241092
    assert line["CommissionInfo"] == {"PINFL": "31234567890123"}


def test_tax_ids_are_checked_in_config():
    from integrations.config import config_errors

    errors = config_errors({"tin": "12345", "pinfl": "abc", "fiscal_attempts": 0})
    assert set(errors) == {"tin", "pinfl", "fiscal_attempts"}


def test_receipt_url_parts():
    parts = receipt_url_parts(
        "https://ofd.soliq.uz/check?t=UZ191211502034&r=3021&c=20260115140330&s=461218925470"
    )
    assert parts["terminal_id"] == "UZ191211502034"
    assert parts["receipt_id"] == "3021"
    assert parts["fiscal_sign"] == "461218925470"
    assert parts["fiscalized_at"].isoformat() == "2026-01-15T14:03:30+05:00"
    assert receipt_url_parts("https://ofd.soliq.uz/epi?t=EP1&c=2026") == {"terminal_id": "EP1"}


# --- the job ----------------------------------------------------------------------------------


def test_complete_queues_a_receipt_after_commit_and_the_job_fiscalizes_it(
    client, click_api, click_server, invoice_with_items, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payment = shop_pay(client, click_api)
    # Nothing reached Click inside the gateway's request; the wake-up message waits for commit.
    assert click_server.state.requests == []
    assert [c for c in callbacks if "fiscal_receipt_queue_click" in c.__qualname__]
    receipt = FiscalReceipt.objects.get()
    assert (receipt.status, receipt.kind, receipt.provider) == ("pending", "sale", "click")
    assert receipt.transaction_id == payment.id and receipt.payment_id == PAYDOC
    assert payment.click_paydoc_id == PAYDOC

    done = fiscal_receipt_process(receipt_id=receipt.pk)
    assert done is not None and done.status == "fiscalized"
    assert click_server.state.paths() == [
        f"/payment/ofd_data/{fake.SERVICE_ID}/{PAYDOC}",
        "/payment/ofd_data/submit_items",
        f"/payment/ofd_data/{fake.SERVICE_ID}/{PAYDOC}",
    ]
    (submitted,) = click_server.state.submitted[PAYDOC]
    assert submitted == {
        "service_id": fake.SERVICE_ID,
        "payment_id": PAYDOC,
        "items": click_receipt_items(items=ITEMS, config=click_api.typed_config),
        "received_ecash": 0,
        "received_cash": 0,
        "received_card": 1_200_000,
    }
    receipt.refresh_from_db()
    assert receipt.qr_code_url == fake.receipt_url(PAYDOC)
    assert (receipt.terminal_id, receipt.fiscal_sign) == ("UZ191211502034", "461218925470")
    assert receipt.receipt_id == str(PAYDOC % 100000)
    assert receipt.fiscalized_at is not None
    assert receipt.fiscalized_at.isoformat() == "2026-01-15T09:03:30+00:00"
    assert receipt.lines == submitted["items"] and receipt.next_attempt_at is None
    # Done: a duplicate message does nothing.
    assert fiscal_receipt_process(receipt_id=receipt.pk) is None
    assert len(click_server.state.requests) == 3


def test_an_invoice_without_items_gets_no_receipt(client, click_api, click_server):
    from payments.services import invoice_create

    invoice_create(order_id="plain-1", amount=5000)
    shop_pay(client, click_api, order_id="plain-1", amount="50.00")
    assert not FiscalReceipt.objects.exists()


def test_a_receipt_click_already_has_is_not_submitted(
    client, click_api, click_server, invoice_with_items
):
    shop_pay(client, click_api)
    click_server.state.receipts[PAYDOC] = fake.receipt_url(PAYDOC)
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None and receipt.status == "fiscalized"
    assert click_server.state.calls("submit_items") == []


def test_a_qr_code_url_that_is_not_a_web_address_is_not_a_receipt(
    client, click_api, click_server, invoice_with_items
):
    # It would be the admin's link to the receipt: never a javascript: URL there.
    shop_pay(client, click_api)
    click_server.state.receipts[PAYDOC] = "javascript:alert(1)//?t=UZ1&r=1&s=1"
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None and receipt.status == "pending" and receipt.qr_code_url == ""
    assert "not a web address" in receipt.last_error
    # Whether Click holds a receipt is unclear: nothing is submitted over it.
    assert click_server.state.calls("submit_items") == []


def test_an_overlong_terminal_in_the_url_is_cut_not_a_crash(
    client, click_api, click_server, invoice_with_items
):
    shop_pay(client, click_api)
    click_server.state.receipts[PAYDOC] = (
        f"https://ofd.soliq.uz/check?t={'T' * 40}&r=3021&c=20260115140330&s=461218925470"
    )
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None and receipt.status == "fiscalized"
    receipt.refresh_from_db()
    assert receipt.terminal_id == "T" * 32


def test_a_submit_timeout_is_settled_by_reading_never_by_posting_again(
    client, click_api, click_server, invoice_with_items
):
    shop_pay(client, click_api)
    click_server.state.submit_mode = "timeout"
    click_server.state.slow_seconds = 1.5
    click_server.state.ofd_ready_after = 5
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None
    assert (receipt.status, receipt.attempts) == ("submitted", 1)
    assert receipt.next_attempt_at is not None and receipt.next_attempt_at > timezone.now()
    # Not due yet: a message now changes nothing.
    assert fiscal_receipt_process(receipt_id=receipt.pk) is None
    click_server.state.submit_mode = "ok"
    for _ in range(6):
        due_now(receipt)
        receipt = fiscal_receipt_process(receipt_id=receipt.pk) or receipt
        if receipt.status == "fiscalized":
            break
    assert receipt.status == "fiscalized"
    assert len(click_server.state.calls("submit_items")) == 1


def test_a_refused_submission_is_never_posted_again_and_fails_after_the_attempts(
    client, click_api, click_server, invoice_with_items
):
    # CONTRACT: "never submitted twice for one payment", a refusal included: later tries only
    # read ofd_data (Click may have registered it after all), then failed.
    click_api.config = {**click_api.config, "fiscal_attempts": 3}
    click_api.save()
    shop_pay(client, click_api)
    click_server.state.submit_mode = "declined"
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None
    assert (receipt.status, receipt.attempts) == ("submitted", 1)
    assert "Invalid SPIC" in receipt.last_error
    click_server.state.submit_mode = "ok"
    for _ in range(2):
        due_now(receipt)
        receipt = fiscal_receipt_process(receipt_id=receipt.pk)
        assert receipt is not None
    assert (receipt.status, receipt.attempts) == ("failed", 3)
    assert "submit_items was refused: -31" in receipt.error_message
    assert len(click_server.state.calls("submit_items")) == 1
    assert len(click_server.state.calls("/payment/ofd_data/31555/")) == 3


def test_a_receipt_click_made_after_refusing_is_still_found(
    client, click_api, click_server, invoice_with_items
):
    shop_pay(client, click_api)
    click_server.state.submit_mode = "declined"
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None and receipt.status == "submitted"
    click_server.state.receipts[PAYDOC] = fake.receipt_url(PAYDOC)
    due_now(receipt)
    receipt = fiscal_receipt_process(receipt_id=receipt.pk)
    assert receipt is not None and receipt.status == "fiscalized"
    assert len(click_server.state.calls("submit_items")) == 1


def test_click_faults_back_off_and_fail_after_fiscal_attempts(
    client, click_api, click_server, invoice_with_items, settings
):
    settings.FISCAL_RETRY_BASE_SECONDS = 30
    click_api.config = {**click_api.config, "fiscal_attempts": 3}
    click_api.save()
    shop_pay(client, click_api)
    click_server.state.ofd_faults = 100
    receipt = FiscalReceipt.objects.get()
    waits = []
    for _ in range(3):
        due_now(receipt)
        before = timezone.now()
        processed = fiscal_receipt_process(receipt_id=receipt.pk)
        assert processed is not None
        receipt = processed
        if receipt.next_attempt_at:
            waits.append((receipt.next_attempt_at - before).total_seconds())
    assert receipt.status == "failed" and receipt.attempts == 3
    assert "HTTP 500" in receipt.error_message and receipt.next_attempt_at is None
    # 30 s, then 60 s (± the time the calls took).
    assert 29 < waits[0] < 35 and 59 < waits[1] < 65
    # Nothing was submitted while Click could not say whether it had a receipt.
    assert click_server.state.calls("submit_items") == []
    # Failed is final: neither a message nor the sweep takes it up.
    assert fiscal_receipt_process(receipt_id=receipt.pk, force=True) is None


def test_the_default_tries_end_about_an_hour_after_the_payment():
    # gateways.md 5.2: first try within a minute, the failure alerted after about an hour. With
    # the default config.fiscal_attempts (10) the nine waits between the tries add up to that.
    from django.conf import settings

    from payments.services.fiscal.click_ofd import _backoff

    attempts = IntegrationConfig.read({}).fiscal_attempts
    total = sum(_backoff(n).total_seconds() for n in range(1, attempts))
    assert attempts == 10
    assert 45 * 60 <= total <= 75 * 60, total
    assert _backoff(1).total_seconds() == settings.FISCAL_RETRY_BASE_SECONDS <= 10


def test_missing_tax_id_is_reported_and_retried(
    client, click_api, click_server, invoice_with_items
):
    click_api.config = {key: v for key, v in click_api.config.items() if key != "tin"}
    click_api.save()
    shop_pay(client, click_api)
    receipt = fiscal_receipt_process(receipt_id=FiscalReceipt.objects.get().pk)
    assert receipt is not None and receipt.status == "pending"
    assert "config.tin or config.pinfl" in receipt.last_error
    assert click_server.state.calls("submit_items") == []


def test_a_claimed_receipt_is_not_taken_by_a_second_worker(
    client, click_api, click_server, invoice_with_items, settings
):
    from payments.services.fiscal.click_ofd import _claim

    shop_pay(client, click_api)
    receipt = FiscalReceipt.objects.get()
    assert _claim(receipt.pk, force=False) is not None
    # The first worker holds the lease: a second message, and the sweep, leave it alone.
    assert _claim(receipt.pk, force=False) is None
    assert fiscal_receipt_sweep() == 0
    # Its worker died: the lease runs out and the sweep hands it on.
    FiscalReceipt.objects.filter(pk=receipt.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert fiscal_receipt_sweep() == 1


def test_a_failed_receipt_records_one_fiscal_alert_for_its_gateway(
    client, click_api, click_server, invoice_with_items
):
    from integrations.models import Alert
    from integrations.tests.alert_helpers import telegram_channel

    telegram_channel("http://127.0.0.1:9")  # recorded, not sent: no server needed here
    click_api.config = {**click_api.config, "fiscal_attempts": 1}
    click_api.save()
    shop_pay(client, click_api)
    click_server.state.ofd_faults = 100
    receipt = FiscalReceipt.objects.get()
    due_now(receipt)
    processed = fiscal_receipt_process(receipt_id=receipt.pk)
    assert processed is not None and processed.status == "failed"
    alert = Alert.objects.get(event="fiscal_receipt.failed")
    assert alert.integration_id == click_api.pk and alert.count == 1
    assert str(receipt.pk) in alert.detail
