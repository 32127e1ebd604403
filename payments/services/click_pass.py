"""Click Pass (``gateways.md`` 4): the machine scans the QR the customer's Click app shows and the
hub charges the invoice through Click's merchant API; and the reversal of such a charge.

The attempt is a PaymentTransaction written (state 1, ``click_pass``) before Click is called, so
a crash after Click charged is found again: the worker settles every attempt still in flight
through ``payment/status`` (or ``status_by_mti`` with the hub's transaction id when Click's
``payment_id`` never came back), never by sending the one-time ``otp_data`` again.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import Integration
from payments.click_merchant import (
    PAYMENT_SUCCESSFUL,
    ClickMerchantAnswer,
    ClickMerchantClient,
    ClickMerchantNoAnswer,
)
from payments.models import (
    ACTIVE_STATES,
    CancelReason,
    InvoiceStatus,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    TransactionState,
)
from payments.services.events import now_ms, payment_event_emit
from payments.services.fiscal import TASHKENT, fiscal_receipt_queue_click
from payments.services.invoices import invoice_is_expired, invoice_mark_paid

logger = logging.getLogger(__name__)

PAID = "paid"
FAILED = "failed"
PROCESSING = "processing"
# How often the worker asks again about a charge still in flight, and how long an attempt with
# no payment_id (Click never answered) may stay unknown to Click before it counts as not made.
CHECK_EVERY = timedelta(seconds=10)
NOT_FOUND_GRACE = timedelta(seconds=45)


class ClickPassConflict(Exception):
    """The invoice cannot be charged or refunded now (HTTP 409)."""


class ClickPassUnavailable(Exception):
    """The integration cannot call Click's merchant API (HTTP 400 naming ``integration``)."""


@dataclass(frozen=True)
class ClickPassResult:
    status: str
    payment_id: int | None
    error_note: str
    transaction: PaymentTransaction


def _payment_id(answer: ClickMerchantAnswer) -> int | None:
    value = answer.body.get("payment_id")
    if type(value) is int and value > 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _payment_status(answer: ClickMerchantAnswer) -> int | None:
    value = answer.body.get("payment_status")
    return value if type(value) is int else None


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


def _remember(payment: PaymentTransaction, answer: ClickMerchantAnswer) -> None:
    """Click's payment id and card details on the attempt, once they are known."""
    payment_id = _payment_id(answer)
    account = dict(payment.account or {})
    for key in ("processing_type", "card_type", "card_number"):
        if isinstance(answer.body.get(key), str):
            account[key] = answer.body[key]
    fields = ["account", "updated_at"]
    payment.account = account
    if payment_id and payment.click_paydoc_id != payment_id:
        payment.click_paydoc_id = payment_id
        payment.provider_transaction_id = str(payment_id)
        fields += ["click_paydoc_id", "provider_transaction_id"]
    PaymentTransaction.objects.filter(pk=payment.pk, state=TransactionState.CREATED).update(
        **{name: getattr(payment, name) for name in fields if name != "updated_at"},
        updated_at=timezone.now(),
    )


def click_pass_mark_paid(*, payment_id: Any) -> PaymentTransaction:
    """The attempt ``payment_id`` (hub id) succeeded at Click: performed, the invoice paid,
    ``payment.completed``, its fiscal receipt queued. A repeat changes nothing."""
    with transaction.atomic():
        payment = PaymentTransaction.objects.select_related("integration").get(pk=payment_id)
        invoice = PaymentInvoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = (
            PaymentTransaction.objects.select_for_update()
            .select_related("integration")
            .get(pk=payment_id)
        )
        if payment.state != TransactionState.CREATED:
            return payment
        payment.state = TransactionState.PERFORMED
        payment.perform_time = now_ms()
        payment.next_check_at = None
        payment.error_note = ""
        payment.save(
            update_fields=["state", "perform_time", "next_check_at", "error_note", "updated_at"]
        )
        if invoice.status != InvoiceStatus.PENDING:
            # Cancelled while Click was still charging: the money was taken all the same, so the
            # payment stands; an operator sees the warning and refunds it.
            logger.warning(
                "click pass %s charged invoice %s, which is %s",
                payment.pk,
                invoice.pk,
                invoice.status,
            )
        invoice_mark_paid(invoice=invoice, payment=payment)
        fiscal_receipt_queue_click(payment=payment, invoice=invoice)
    return payment


def click_pass_mark_failed(*, payment_id: Any, note: str) -> PaymentTransaction:
    """The attempt did not charge: cancelled (-1), the invoice stays pending."""
    with transaction.atomic():
        payment = PaymentTransaction.objects.select_related("integration").get(pk=payment_id)
        invoice = PaymentInvoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = (
            PaymentTransaction.objects.select_for_update()
            .select_related("integration")
            .get(pk=payment_id)
        )
        if payment.state != TransactionState.CREATED:
            return payment
        payment.state = TransactionState.CANCELLED
        payment.cancel_time = now_ms()
        payment.reason = CancelReason.PROCESSING_FAILED
        payment.error_note = note[:1000]
        payment.next_check_at = None
        payment.save(
            update_fields=[
                "state",
                "cancel_time",
                "reason",
                "error_note",
                "next_check_at",
                "updated_at",
            ]
        )
        payment_event_emit(transaction=payment, invoice=invoice)
    return payment


def _settle_by_status(
    payment: PaymentTransaction, answer: ClickMerchantAnswer
) -> tuple[str, str] | None:
    """(status, note) when a status answer settles the attempt, else None (still in flight)."""
    if answer.refused:
        return FAILED, answer.error_note or f"Click error {answer.error_code}"
    status = _payment_status(answer)
    if answer.succeeded and status == PAYMENT_SUCCESSFUL:
        return PAID, answer.error_note
    if answer.succeeded and status is not None and status < 0:
        return FAILED, answer.error_note or f"payment_status {status}"
    return None


def _result(payment: PaymentTransaction, status: str, note: str) -> ClickPassResult:
    if status == PAID:
        payment = click_pass_mark_paid(payment_id=payment.pk)
    elif status == FAILED:
        payment = click_pass_mark_failed(payment_id=payment.pk, note=note)
    else:
        PaymentTransaction.objects.filter(pk=payment.pk, state=TransactionState.CREATED).update(
            next_check_at=timezone.now(), error_note=note[:1000]
        )
        payment.refresh_from_db()
    # The state decides: a paid that lost a race to a failure answers what was stored.
    final = {
        TransactionState.PERFORMED: PAID,
        TransactionState.CANCELLED: FAILED,
        TransactionState.CREATED: PROCESSING,
    }.get(TransactionState(payment.state), status)
    return ClickPassResult(final, payment.click_paydoc_id, note, payment)


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
    client = ClickMerchantClient(integration)
    problem = client.configuration_error()
    if problem:
        raise ClickPassUnavailable(problem)
    payment = _record_attempt(invoice=invoice, integration=integration, cashbox_code=cashbox_code)
    try:
        answer = client.click_pass_payment(
            otp_data=otp_data,
            amount_tiyin=payment.amount,
            transaction_id=str(payment.pk),
            cashbox_code=cashbox_code,
        )
    except ClickMerchantNoAnswer as no_answer:
        return _result(payment, PROCESSING, f"No answer from Click: {no_answer}")
    _remember(payment, answer)
    payment.refresh_from_db()
    status = _payment_status(answer)
    if answer.refused:
        return _result(payment, FAILED, answer.error_note or f"Click error {answer.error_code}")
    if not answer.succeeded or status is None:
        # A 2xx without error_code or payment_status: uncertain, settled through the status.
        return _result(payment, PROCESSING, answer.error_note or "Uncertain answer from Click")
    if status < 0:
        return _result(payment, FAILED, answer.error_note or f"payment_status {status}")
    if answer.body.get("confirm_mode") == 1 and payment.click_paydoc_id:
        try:
            confirmed = client.click_pass_confirm(payment_id=payment.click_paydoc_id)
        except ClickMerchantNoAnswer as no_answer:
            return _result(payment, PROCESSING, f"No answer to the confirmation: {no_answer}")
        if not confirmed.succeeded:
            return _result(payment, FAILED, confirmed.error_note or "Confirmation refused")
    if status == PAYMENT_SUCCESSFUL:
        return _result(payment, PAID, answer.error_note)
    note = answer.error_note
    if payment.click_paydoc_id:
        deadline = time.monotonic() + settings.CLICK_PASS_POLL_SECONDS
        while time.monotonic() < deadline:
            sleep(settings.CLICK_PASS_POLL_INTERVAL)
            try:
                checked = client.payment_status(payment_id=payment.click_paydoc_id)
            except ClickMerchantNoAnswer as no_answer:
                note = f"No answer from Click: {no_answer}"
                continue
            settled = _settle_by_status(payment, checked)
            if settled is not None:
                return _result(payment, *settled)
    return _result(payment, PROCESSING, note or "Click is still processing the payment")


def click_pass_settle(*, payment_id: Any) -> str:
    """Ask Click about one attempt still in flight (what the worker runs); the resulting status."""
    payment = PaymentTransaction.objects.select_related("integration").get(pk=payment_id)
    if payment.state != TransactionState.CREATED or not payment.click_pass:
        return {TransactionState.PERFORMED: PAID}.get(TransactionState(payment.state), FAILED)
    client = ClickMerchantClient(payment.integration)
    try:
        if payment.click_paydoc_id:
            answer = client.payment_status(payment_id=payment.click_paydoc_id)
        else:
            day = timezone.localtime(payment.created_at, TASHKENT).date()
            answer = client.payment_status_by_mti(merchant_trans_id=str(payment.pk), day=day)
            if answer.refused and timezone.now() - payment.created_at < NOT_FOUND_GRACE:
                return PROCESSING
            if not answer.refused:
                _remember(payment, answer)
                payment.refresh_from_db()
    except ClickMerchantNoAnswer as no_answer:
        PaymentTransaction.objects.filter(pk=payment.pk).update(error_note=str(no_answer)[:1000])
        return PROCESSING
    settled = _settle_by_status(payment, answer)
    if settled is None:
        return PROCESSING
    return _result(payment, *settled).status


def click_pass_settle_due(*, limit: int = 100) -> int:
    """Settle every Click Pass attempt whose check is due (beat runs this every few seconds);
    the number looked at. Each is claimed by moving its next check ahead first, so two sweeps
    never ask about the same attempt at once."""
    now = timezone.now()
    looked = 0
    due = list(
        PaymentTransaction.objects.filter(
            click_pass=True, state=TransactionState.CREATED, next_check_at__lte=now
        )
        .order_by("next_check_at")
        .values_list("pk", flat=True)[:limit]
    )
    for payment_id in due:
        claimed = PaymentTransaction.objects.filter(
            pk=payment_id, state=TransactionState.CREATED, next_check_at__lte=now
        ).update(next_check_at=now + CHECK_EVERY)
        if not claimed:
            continue
        looked += 1
        try:
            click_pass_settle(payment_id=payment_id)
        except Exception:
            logger.exception("click pass %s: settling failed; tried again later", payment_id)
    return looked


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
        answer = ClickMerchantClient(payment.integration).payment_reversal(
            payment_id=payment.click_paydoc_id
        )
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
