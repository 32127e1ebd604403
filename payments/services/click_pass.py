"""Click Pass (``gateways.md`` 4): the machine scans the QR the customer's Click app shows and the
hub charges the invoice through Click's merchant API; and the reversal of such a charge.

The attempt is a PaymentTransaction written (state 1, ``click_pass``) before Click is called, so
a crash after Click charged is found again: what the request does not learn in its budget, the
worker settles (``click_pass_settlement.py``, which also records every outcome), never by sending
the one-time ``otp_data`` again.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import Integration
from payments.click_merchant import PAYMENT_SUCCESSFUL, ClickMerchantClient, ClickMerchantNoAnswer
from payments.models import (
    ACTIVE_STATES,
    CancelReason,
    InvoiceStatus,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    TransactionState,
)
from payments.services.click_pass_settlement import (
    FAILED,
    PAID,
    PROCESSING,
    ClickPassResult,
    answer_payment_status,
    click_pass_conclude,
    click_pass_record_answer,
    click_pass_status_outcome,
)
from payments.services.events import now_ms, payment_event_emit
from payments.services.invoices import invoice_is_expired


class ClickPassConflict(Exception):
    """The invoice cannot be charged or refunded now (HTTP 409)."""


class ClickPassUnavailable(Exception):
    """The integration cannot call Click's merchant API (HTTP 400 naming ``integration``)."""


def _record_attempt(
    *, invoice: PaymentInvoice, integration: Integration, cashbox_code: str
) -> PaymentTransaction:
    with transaction.atomic():
        locked = PaymentInvoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.PENDING:
            raise ClickPassConflict(f"The invoice is {locked.status}.")
        if invoice_is_expired(locked):
            raise ClickPassConflict("The invoice has expired.")
        if PaymentTransaction.objects.filter(invoice=locked, state__in=ACTIVE_STATES).exists():
            raise ClickPassConflict("Another payment of this invoice is in progress.")
        hub_id = uuid.uuid4()
        payment = PaymentTransaction.objects.create(
            id=hub_id,
            integration=integration,
            provider=PaymentProvider.CLICK,
            # Click's payment_id replaces it once Click answers.
            provider_transaction_id=f"pass-{hub_id}",
            invoice=locked,
            amount=locked.amount,
            state=TransactionState.CREATED,
            create_time=now_ms(),
            account={"merchant_trans_id": locked.order_id},
            click_pass=True,
            cashbox_code=cashbox_code,
            # The request polls first; the worker takes over after that.
            next_check_at=timezone.now() + timedelta(seconds=settings.CLICK_PASS_POLL_SECONDS + 5),
        )
        payment_event_emit(transaction=payment, invoice=locked)
    return payment


def click_pass_pay(
    *,
    invoice: PaymentInvoice,
    integration: Integration,
    otp_data: str,
    cashbox_code: str = "",
    sleep: Any = time.sleep,
) -> ClickPassResult:
    """Charge ``invoice`` with the scanned Click Pass code. ClickPassConflict when the invoice is
    not payable now (409), ClickPassUnavailable when the integration lacks what the call needs."""
    # The request's budget: everything below ends by it, so the answer (``processing`` at
    # worst) always comes before the web server gives up on the request (gunicorn: 30 s).
    deadline = time.monotonic() + settings.CLICK_PASS_POLL_SECONDS
    client = ClickMerchantClient(integration)
    config_timeout = client.http.timeout

    def within_budget() -> None:
        # The next call waits at most what is left of the budget (config.timeout if shorter).
        client.http.timeout = max(0.5, min(config_timeout, deadline - time.monotonic()))

    problem = client.configuration_error()
    if problem:
        raise ClickPassUnavailable(problem)
    payment = _record_attempt(invoice=invoice, integration=integration, cashbox_code=cashbox_code)
    within_budget()
    try:
        answer = client.click_pass_payment(
            otp_data=otp_data,
            amount_tiyin=payment.amount,
            transaction_id=str(payment.pk),
            cashbox_code=cashbox_code,
        )
    except ClickMerchantNoAnswer as no_answer:
        return click_pass_conclude(payment, PROCESSING, f"No answer from Click: {no_answer}")
    click_pass_record_answer(payment, answer)
    payment.refresh_from_db()
    status = answer_payment_status(answer)
    if answer.refused:
        return click_pass_conclude(
            payment, FAILED, answer.error_note or f"Click error {answer.error_code}"
        )
    if not answer.succeeded or status is None:
        # A 2xx without error_code or payment_status: uncertain, settled through the status.
        return click_pass_conclude(
            payment, PROCESSING, answer.error_note or "Uncertain answer from Click"
        )
    if status < 0:
        return click_pass_conclude(payment, FAILED, answer.error_note or f"payment_status {status}")
    if answer.body.get("confirm_mode") == 1 and payment.click_paydoc_id:
        within_budget()
        try:
            confirmed = client.click_pass_confirm(payment_id=payment.click_paydoc_id)
        except ClickMerchantNoAnswer as no_answer:
            return click_pass_conclude(
                payment, PROCESSING, f"No answer to the confirmation: {no_answer}"
            )
        if not confirmed.succeeded:
            return click_pass_conclude(
                payment, FAILED, confirmed.error_note or "Confirmation refused"
            )
    if status == PAYMENT_SUCCESSFUL:
        return click_pass_conclude(payment, PAID, answer.error_note)
    note = answer.error_note
    if payment.click_paydoc_id:
        while time.monotonic() < deadline:
            sleep(max(0.0, min(settings.CLICK_PASS_POLL_INTERVAL, deadline - time.monotonic())))
            within_budget()
            try:
                checked = client.payment_status(payment_id=payment.click_paydoc_id)
            except ClickMerchantNoAnswer as no_answer:
                note = f"No answer from Click: {no_answer}"
                continue
            settled = click_pass_status_outcome(payment, checked)
            if settled is not None:
                return click_pass_conclude(payment, *settled)
    return click_pass_conclude(payment, PROCESSING, note or "Click is still processing the payment")


def click_pass_refund(*, invoice: PaymentInvoice) -> PaymentTransaction:
    """Reverse the paid Click Pass charge of ``invoice`` (Click's ``payment/reversal``): the
    transaction -2, the invoice refunded, ``payment.cancelled``. ClickPassConflict otherwise."""
    payment = (
        PaymentTransaction.objects.select_related("integration")
        .filter(invoice=invoice, state=TransactionState.PERFORMED, click_pass=True)
        .first()
    )
    if invoice.status != InvoiceStatus.PAID or payment is None or not payment.click_paydoc_id:
        raise ClickPassConflict(
            f"The invoice is {invoice.status}; only a paid Click Pass payment can be refunded."
        )
    try:
        answer = ClickMerchantClient(
            payment.integration, timeout=max(1.0, settings.CLICK_PASS_POLL_SECONDS)
        ).payment_reversal(payment_id=payment.click_paydoc_id)
    except ClickMerchantNoAnswer as no_answer:
        raise ClickPassConflict(f"Click did not answer the reversal: {no_answer}") from None
    if not answer.succeeded:
        raise ClickPassConflict(
            f"Click refused the reversal: {answer.error_note or answer.error_code}"
        )
    with transaction.atomic():
        locked_invoice = PaymentInvoice.objects.select_for_update().get(pk=invoice.pk)
        payment = (
            PaymentTransaction.objects.select_for_update()
            .select_related("integration")
            .get(pk=payment.pk)
        )
        if payment.state == TransactionState.PERFORMED:
            payment.state = TransactionState.CANCELLED_AFTER_PERFORM
            payment.cancel_time = now_ms()
            payment.reason = CancelReason.REFUND
            payment.save(update_fields=["state", "cancel_time", "reason", "updated_at"])
            locked_invoice.status = InvoiceStatus.REFUNDED
            locked_invoice.save(update_fields=["status", "updated_at"])
            payment_event_emit(transaction=payment, invoice=locked_invoice)
    invoice.refresh_from_db()
    return payment
