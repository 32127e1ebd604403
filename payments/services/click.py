"""Click's Prepare and Complete on invoices and transactions (the wire format and the request
checks -8, -1, -3 are in ``payments.protocols.click``). Each raises ClickError with the code.

As for Payme, every change locks the invoice row first, so one invoice can never get two active
transactions, whichever gateways ask at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from integrations.models import Integration
from payments.models import (
    ACTIVE_STATES,
    InvoiceStatus,
    PaymentCounter,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    TransactionState,
)
from payments.selectors import transaction_get_for_gateway
from payments.services.events import now_ms, payment_event_emit
from payments.services.fiscal import fiscal_receipt_queue_click
from payments.services.invoices import invoice_is_expired, invoice_mark_paid

ALREADY_PAID = -4
WRONG_AMOUNT = -2
USER_NOT_FOUND = -5
TRANSACTION_NOT_FOUND = -6
REQUEST_ERROR = -8
CANCELLED = -9

_PREPARE_COUNTER = "click_prepare"


@dataclass
class ClickError(Exception):
    code: int
    note: str


def _next_prepare_id() -> int:
    """The next merchant_prepare_id; the counter row stays locked until the caller commits."""
    updated = PaymentCounter.objects.filter(name=_PREPARE_COUNTER).update(value=F("value") + 1)
    if not updated:
        try:
            with transaction.atomic():
                PaymentCounter.objects.create(name=_PREPARE_COUNTER, value=0)
        except IntegrityError:
            pass
        PaymentCounter.objects.filter(name=_PREPARE_COUNTER).update(value=F("value") + 1)
    return PaymentCounter.objects.get(name=_PREPARE_COUNTER).value


def _invoice(order_id: str, *, lock: bool) -> PaymentInvoice:
    queryset = PaymentInvoice.objects.select_for_update() if lock else PaymentInvoice.objects
    invoice = queryset.filter(order_id=order_id).first()
    if invoice is None:
        raise ClickError(USER_NOT_FOUND, "User does not exist")
    return invoice


def _cancel(payment: PaymentTransaction, invoice: PaymentInvoice, *, note: str) -> None:
    payment.state = TransactionState.CANCELLED
    payment.cancel_time = now_ms()
    payment.error_note = note[:1000]
    payment.save(update_fields=["state", "cancel_time", "error_note", "updated_at"])
    payment_event_emit(transaction=payment, invoice=invoice)


def _click_pass_of(
    click_paydoc_id: int, *, invoice: PaymentInvoice, click_trans_id: str
) -> PaymentTransaction | None:
    """The Click Pass charge whose ``payment_id`` is this Shop API payment document: Click
    telling the shop about a charge the hub made, which joins that transaction (never a second
    payment). It takes a prepare id the first time, and keeps Click's click_trans_id."""
    charges = (
        PaymentTransaction.objects.select_for_update()
        .filter(provider=PaymentProvider.CLICK, click_pass=True, click_paydoc_id=click_paydoc_id)
        .select_related("integration")
    )
    # This invoice's charge first: should Click's ids repeat, an older charge of another
    # invoice with the same payment_id does not hide it.
    joined = charges.filter(invoice=invoice).first() or charges.first()
    if joined is None:
        return None
    if joined.invoice_id != invoice.id:
        raise ClickError(REQUEST_ERROR, "This click_paydoc_id belongs to another payment")
    if joined.state not in ACTIVE_STATES:
        raise ClickError(CANCELLED, "Transaction cancelled")
    if joined.merchant_prepare_id is None:
        joined.merchant_prepare_id = _next_prepare_id()
        joined.account = {**(joined.account or {}), "click_trans_id": click_trans_id}
        joined.save(update_fields=["merchant_prepare_id", "account", "updated_at"])
    return joined


def _shop_trans_id(payment: PaymentTransaction) -> str | None:
    """The click_trans_id a Complete must carry for this transaction."""
    if payment.click_pass:
        value = (payment.account or {}).get("click_trans_id")
        return str(value) if value is not None else None
    return payment.provider_transaction_id


def click_prepare(
    *,
    integration: Integration,
    click_trans_id: str,
    click_paydoc_id: int,
    order_id: str,
    amount: int | None,
) -> PaymentTransaction:
    """Prepare (action 0): a created transaction for the invoice ``order_id``; ``amount`` in
    tiyin, None when Click's text was not a plain amount. A repeat for the same click_trans_id
    answers as the first time (its transaction), or -9 once it was cancelled."""
    _invoice(order_id, lock=False)
    with transaction.atomic():
        invoice = _invoice(order_id, lock=True)
        joined = _click_pass_of(click_paydoc_id, invoice=invoice, click_trans_id=click_trans_id)
        if joined is not None:
            return joined
        existing = transaction_get_for_gateway(
            provider=PaymentProvider.CLICK, provider_transaction_id=click_trans_id
        )
        if existing is not None:
            if existing.integration_id != integration.id or existing.invoice_id != invoice.id:
                raise ClickError(REQUEST_ERROR, "This click_trans_id belongs to another payment")
            if existing.state == TransactionState.CANCELLED:
                raise ClickError(CANCELLED, "Transaction cancelled")
            return existing
        if invoice.status == InvoiceStatus.PAID:
            raise ClickError(ALREADY_PAID, "Already paid")
        if amount is None or amount != invoice.amount:
            raise ClickError(WRONG_AMOUNT, "Incorrect parameter amount")
        if invoice.status != InvoiceStatus.PENDING:
            raise ClickError(CANCELLED, "Transaction cancelled: the invoice is not payable")
        if invoice_is_expired(invoice):
            raise ClickError(CANCELLED, "Transaction cancelled: the invoice has expired")
        if PaymentTransaction.objects.filter(invoice=invoice, state__in=ACTIVE_STATES).exists():
            raise ClickError(CANCELLED, "Transaction cancelled: another payment is in progress")
        payment = PaymentTransaction.objects.create(
            integration=integration,
            provider=PaymentProvider.CLICK,
            provider_transaction_id=click_trans_id,
            invoice=invoice,
            amount=amount,
            state=TransactionState.CREATED,
            create_time=now_ms(),
            account={"merchant_trans_id": order_id},
            click_paydoc_id=click_paydoc_id,
            merchant_prepare_id=_next_prepare_id(),
        )
        payment_event_emit(transaction=payment, invoice=invoice)
    return payment


def click_complete(
    *,
    integration: Integration,
    click_trans_id: str,
    order_id: str,
    merchant_prepare_id: int,
    amount: int | None,
    click_error: int,
    click_error_note: str,
    click_paydoc_id: int | None = None,
) -> PaymentTransaction:
    """Complete (action 1): the prepared transaction performed and the invoice paid, or, when
    Click reports an error (``click_error`` < 0), cancelled (-9, unless already paid: -4).
    A repeat answers as the first time."""
    _invoice(order_id, lock=False)
    cancelled_now = False
    with transaction.atomic():
        invoice = _invoice(order_id, lock=True)
        payment = (
            PaymentTransaction.objects.filter(
                provider=PaymentProvider.CLICK,
                integration=integration,
                merchant_prepare_id=merchant_prepare_id,
            )
            .select_related("integration")
            .first()
        )
        if (
            payment is None
            or _shop_trans_id(payment) != click_trans_id
            or payment.invoice_id != invoice.id
        ):
            raise ClickError(TRANSACTION_NOT_FOUND, "Transaction does not exist")
        if click_error < 0:
            if payment.state == TransactionState.PERFORMED:
                raise ClickError(ALREADY_PAID, "Already paid")
            if payment.state == TransactionState.CREATED:
                _cancel(payment, invoice, note=click_error_note or f"Click error {click_error}")
                cancelled_now = True
            else:
                raise ClickError(CANCELLED, "Transaction cancelled")
        elif payment.state == TransactionState.PERFORMED:
            if payment.merchant_confirm_id is None:
                # A Click Pass charge already paid, confirmed now by Click's Shop API: it gets
                # the confirm id every Complete answers with (not 0), and keeps it for replays.
                payment.merchant_confirm_id = merchant_prepare_id
                payment.save(update_fields=["merchant_confirm_id", "updated_at"])
            return payment
        elif payment.state != TransactionState.CREATED:
            raise ClickError(CANCELLED, "Transaction cancelled")
        elif invoice.status == InvoiceStatus.PAID:
            raise ClickError(ALREADY_PAID, "Already paid")
        elif amount is None or amount != payment.amount:
            raise ClickError(WRONG_AMOUNT, "Incorrect parameter amount")
        elif invoice.status != InvoiceStatus.PENDING:
            _cancel(payment, invoice, note="the invoice is not payable")
            cancelled_now = True
        else:
            moment = now_ms()
            payment.state = TransactionState.PERFORMED
            payment.perform_time = moment
            payment.merchant_confirm_id = merchant_prepare_id
            payment.next_check_at = None
            if click_paydoc_id and not payment.click_pass:
                # The payment document Click fiscalizes under (5.2), as Complete sends it.
                payment.click_paydoc_id = click_paydoc_id
            payment.save(
                update_fields=[
                    "state",
                    "perform_time",
                    "merchant_confirm_id",
                    "next_check_at",
                    "click_paydoc_id",
                    "updated_at",
                ]
            )
            invoice_mark_paid(invoice=invoice, payment=payment)
            fiscal_receipt_queue_click(payment=payment, invoice=invoice)
    if cancelled_now:
        raise ClickError(CANCELLED, "Transaction cancelled")
    return payment
