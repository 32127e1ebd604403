"""How a Click Pass attempt ends: Click's answer read and recorded (performed and the invoice paid,
or cancelled), and the worker's settlement of every attempt still in flight.

The charge (``click_pass.py``) leaves an attempt whose outcome its request did not learn in state
1 with a due ``next_check_at``; beat's sweep (``click_pass_settle_due``) claims each due attempt
and asks Click through ``payment/status`` (or ``status_by_mti`` with the hub's transaction id
when Click's ``payment_id`` never came back), never by sending the one-time ``otp_data`` again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.click_merchant import (
    PAYMENT_SUCCESSFUL,
    ClickMerchantAnswer,
    ClickMerchantClient,
    ClickMerchantNoAnswer,
)
from payments.models import (
    CancelReason,
    InvoiceStatus,
    PaymentInvoice,
    PaymentTransaction,
    TransactionState,
)
from payments.services.events import now_ms, payment_event_emit
from payments.services.fiscal import TASHKENT, fiscal_receipt_queue_click
from payments.services.invoices import invoice_mark_paid

logger = logging.getLogger(__name__)

PAID = "paid"
FAILED = "failed"
PROCESSING = "processing"
# How often the worker asks again about a charge still in flight (below beat's 10 s period, so
# each sweep finds it due; equal to it, every other sweep missed it by milliseconds), and how
# long an attempt with no payment_id (Click never answered) may stay unknown to Click before it
# counts as not made.
CHECK_EVERY = timedelta(seconds=5)
NOT_FOUND_GRACE = timedelta(seconds=45)


@dataclass(frozen=True)
class ClickPassResult:
    """What a charge came to: ``paid``, ``failed`` or ``processing`` (the worker settles it)."""

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


def answer_payment_status(answer: ClickMerchantAnswer) -> int | None:
    """Click's ``payment_status`` in an answer, or None when it is missing or not a number."""
    value = answer.body.get("payment_status")
    return value if type(value) is int else None


def click_pass_record_answer(payment: PaymentTransaction, answer: ClickMerchantAnswer) -> None:
    """Click's payment id and card details on the attempt, once they are known."""
    payment_id = _payment_id(answer)
    account = dict(payment.account or {})
    for key in ("processing_type", "card_type", "card_number"):
        if isinstance(answer.body.get(key), str):
            account[key] = answer.body[key]
    changes: dict[str, Any] = {"account": account, "updated_at": timezone.now()}
    if payment_id and payment.click_paydoc_id != payment_id:
        changes["click_paydoc_id"] = payment_id
        changes["provider_transaction_id"] = str(payment_id)
    pending = PaymentTransaction.objects.filter(pk=payment.pk, state=TransactionState.CREATED)
    try:
        with transaction.atomic():
            pending.update(**changes)
    except IntegrityError:
        # Another Click transaction already carries this id (a Shop API click_trans_id, or a
        # Click that reuses ids, as a test server may): the charge keeps the hub's own id
        # there, and Click's payment_id lives on in click_paydoc_id. Never a 500.
        logger.warning(
            "click pass %s: Click's payment_id %s is another transaction's id",
            payment.pk,
            payment_id,
        )
        del changes["provider_transaction_id"]
        pending.update(**changes)


def _lock_attempt(payment_id: Any) -> tuple[PaymentTransaction, PaymentInvoice]:
    """The attempt and its invoice, locked invoice first (the order every payment path takes),
    the attempt read again under its lock."""
    payment = PaymentTransaction.objects.select_related("integration").get(pk=payment_id)
    invoice = PaymentInvoice.objects.select_for_update().get(pk=payment.invoice_id)
    payment = (
        PaymentTransaction.objects.select_for_update()
        .select_related("integration")
        .get(pk=payment_id)
    )
    return payment, invoice


def click_pass_mark_paid(*, payment_id: Any) -> PaymentTransaction:
    """The attempt ``payment_id`` (hub id) succeeded at Click: performed, the invoice paid,
    ``payment.completed``, its fiscal receipt queued. A repeat changes nothing."""
    with transaction.atomic():
        payment, invoice = _lock_attempt(payment_id)
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
        payment, invoice = _lock_attempt(payment_id)
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


def click_pass_status_outcome(
    payment: PaymentTransaction, answer: ClickMerchantAnswer
) -> tuple[str, str] | None:
    """(status, note) when a status answer settles the attempt, else None (still in flight)."""
    if answer.refused:
        return FAILED, answer.error_note or f"Click error {answer.error_code}"
    status = answer_payment_status(answer)
    if answer.succeeded and status == PAYMENT_SUCCESSFUL:
        return PAID, answer.error_note
    if answer.succeeded and status is not None and status < 0:
        return FAILED, answer.error_note or f"payment_status {status}"
    return None


def click_pass_conclude(payment: PaymentTransaction, status: str, note: str) -> ClickPassResult:
    """Record ``status`` on the attempt (paid, failed, or due for the worker's next check) and
    answer what was stored."""
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
                click_pass_record_answer(payment, answer)
                payment.refresh_from_db()
    except ClickMerchantNoAnswer as no_answer:
        PaymentTransaction.objects.filter(pk=payment.pk).update(error_note=str(no_answer)[:1000])
        return PROCESSING
    settled = click_pass_status_outcome(payment, answer)
    if settled is None:
        return PROCESSING
    return click_pass_conclude(payment, *settled).status


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
