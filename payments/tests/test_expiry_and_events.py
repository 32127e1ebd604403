"""The expiry sweep beat runs, and the payment.* webhooks state changes emit."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from payments.models import InvoiceStatus, PaymentInvoice
from payments.services import invoice_cancel_expired, invoice_create
from payments.tasks import cancel_expired_invoices
from payments.tests.helpers import AMOUNT, ORDER_ID, payme_call
from webhooks.models import Webhook, WebhookStatus

pytestmark = pytest.mark.django_db


def past(minutes=1):
    return timezone.now() - timedelta(minutes=minutes)


def expired_invoice(**fields) -> PaymentInvoice:
    """An invoice past its expiry: created live (a past ``expires_at`` is refused), then
    backdated as time would have."""
    invoice = invoice_create(**fields, expires_at=timezone.now() + timedelta(minutes=1))
    PaymentInvoice.objects.filter(pk=invoice.pk).update(expires_at=past())
    invoice.refresh_from_db()
    return invoice


def refreshed_status(invoice: PaymentInvoice) -> str:
    """The invoice's status as the database has it now."""
    invoice.refresh_from_db()
    return invoice.status


def test_the_sweep_cancels_expired_pending_invoices_only(client, payme):
    expired = expired_invoice(order_id="expired", amount=100)
    future = invoice_create(order_id="future", amount=100, expires_at=timezone.now() + timedelta(1))
    forever = invoice_create(order_id="forever", amount=100)
    in_flight = invoice_create(
        order_id="in-flight", amount=100, expires_at=timezone.now() + timedelta(seconds=2)
    )
    payme_call(
        client,
        payme.code,
        "CreateTransaction",
        {"id": "d" * 24, "time": 1, "amount": 100, "account": {"order_id": "in-flight"}},
    )
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=5)
    ):
        assert cancel_expired_invoices() == 1
    statuses = {
        invoice.order_id: refreshed_status(invoice)
        for invoice in (expired, future, forever, in_flight)
    }
    assert statuses == {
        "expired": InvoiceStatus.CANCELLED,
        "future": InvoiceStatus.PENDING,
        "forever": InvoiceStatus.PENDING,
        "in-flight": InvoiceStatus.PENDING,
    }
    assert invoice_cancel_expired() == 0


def test_migrate_installs_the_beat_entry_every_minute():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    task = PeriodicTask.objects.get(task="payments.cancel_expired_invoices")
    assert (task.interval.every, task.interval.period) == (60, "seconds")
    assert task.enabled


def test_payment_events_carry_the_contract_payload(client, payme, invoice):
    params = {"id": "e" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    created = payme_call(client, payme.code, "CreateTransaction", params)
    payme_call(client, payme.code, "PerformTransaction", {"id": "e" * 24})
    payme_call(client, payme.code, "PerformTransaction", {"id": "e" * 24})
    transaction_id = created["result"]["transaction"]
    webhooks = {webhook.event_type: webhook for webhook in Webhook.objects.all()}
    assert set(webhooks) == {"payment.created", "payment.completed"}
    completed = webhooks["payment.completed"]
    assert completed.source == "payme"
    assert completed.integration_id == payme.id
    assert completed.status == WebhookStatus.PENDING
    assert completed.external_id == f"payment:{transaction_id}:2"
    payload = completed.payload
    assert set(payload) == {
        "invoice_id",
        "order_id",
        "amount",
        "currency",
        "provider",
        "provider_transaction_id",
        "state",
        "occurred_at",
    }
    assert payload["invoice_id"] == str(invoice.id)
    assert (payload["order_id"], payload["amount"], payload["currency"]) == (
        ORDER_ID,
        AMOUNT,
        "UZS",
    )
    assert (payload["provider"], payload["provider_transaction_id"], payload["state"]) == (
        "payme",
        "e" * 24,
        2,
    )
    assert payload["occurred_at"].endswith("+00:00")


def test_events_are_enqueued_after_commit(
    client, payme, invoice, django_capture_on_commit_callbacks
):
    params = {"id": "f" * 24, "time": 1, "amount": AMOUNT, "account": {"order_id": ORDER_ID}}
    with (
        mock.patch("webhooks.services.receive.webhook_enqueue") as enqueue,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        payme_call(client, payme.code, "CreateTransaction", params)
    webhook = Webhook.objects.get()
    assert len(callbacks) >= 1
    enqueue.assert_called_once_with(webhook_id=webhook.id, stamped=True, background=False)


def test_a_failed_state_change_emits_nothing(client, payme, invoice):
    params = {"id": "g" * 24, "time": 1, "amount": AMOUNT + 1, "account": {"order_id": ORDER_ID}}
    payme_call(client, payme.code, "CreateTransaction", params)
    assert Webhook.objects.count() == 0
