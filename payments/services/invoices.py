"""Writes on invoices: create, cancel (the API's and the admin's), and the expiry sweep."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from payments.models import (
    MAX_AMOUNT,
    ORDER_ID_PATTERN,
    CancelReason,
    InvoiceStatus,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    TransactionState,
)
from payments.services.events import datetime_of_ms, now_ms, payment_event_emit

logger = logging.getLogger(__name__)

ITEM_FIELDS = ("title", "price", "count", "code", "package_code", "vat_percent")


def order_id_or_none(value: Any) -> str | None:
    """An order id as a gateway sent it (text, or a number), or None when it cannot be one of
    ours: empty, too long, spaces, a NUL character (which PostgreSQL text cannot hold)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    return text if re.fullmatch(ORDER_ID_PATTERN, text) else None


class InvoiceNotCancellable(Exception):
    """A paid or refunded invoice cannot be cancelled."""

    def __init__(self, invoice: PaymentInvoice, message: str | None = None) -> None:
        super().__init__(message or f"The invoice is {invoice.status} and cannot be cancelled.")
        self.invoice = invoice


def _check_items(*, amount: int, items: list[dict[str, Any]]) -> None:
    total = sum(item["price"] * item["count"] for item in items)
    if total != amount:
        raise ValidationError(
            {"items": [f"The items add up to {total} tiyin (price × count), not {amount}."]}
        )


def invoice_check_expires_at(expires_at: datetime | None) -> None:
    """An invoice's expiry lies in the future: one born expired could never be paid."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["Must be in the future, not in the past."]})


def invoice_create(
    *,
    order_id: str,
    amount: int,
    description: str = "",
    items: list[dict[str, Any]] | None = None,
    expires_at: datetime | None = None,
) -> PaymentInvoice:
    """A new pending invoice. ``items`` (fiscal lines, prices in tiyin) must add up to
    ``amount``; ``expires_at``, when given, must lie in the future; a taken ``order_id`` is a
    ValidationError naming it."""
    items = [{name: item[name] for name in ITEM_FIELDS} for item in (items or [])]
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise ValidationError({"amount": [f"Use an integer from 1 to {MAX_AMOUNT} (tiyin)."]})
    if items:
        _check_items(amount=amount, items=items)
    invoice_check_expires_at(expires_at)
    invoice = PaymentInvoice(
        order_id=order_id,
        amount=amount,
        description=description or "",
        items=items,
        expires_at=expires_at,
    )
    invoice.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as error:
        # Two requests with one order id at once: the unique index decides, not a prior SELECT.
        if "order_id" in str(error):
            raise ValidationError(
                {"order_id": ["An invoice with this order_id already exists."]}
            ) from None
        raise
    return invoice


def _cancel_in_flight(invoice: PaymentInvoice, *, reason: int) -> None:
    """Cancel the invoice's created (state 1) transactions: a gateway that later tries to perform
    one is refused, and asks us, and sees it cancelled."""
    moment = now_ms()
    for payment in PaymentTransaction.objects.filter(
        invoice=invoice, state=TransactionState.CREATED
    ).select_related("integration"):
        payment.state = TransactionState.CANCELLED
        payment.cancel_time = moment
        # Uzum reads -1 with reason 4 as FAILED (never completed) and any other -1 as its own
        # /reverse; a payment whose invoice was cancelled under it failed (gateways.md 1.3).
        uzum = payment.provider == PaymentProvider.UZUM
        payment.reason = CancelReason.TIMEOUT if uzum else reason
        payment.save(update_fields=["state", "cancel_time", "reason", "updated_at"])
        payment_event_emit(transaction=payment, invoice=invoice)


def invoice_cancel(*, invoice: PaymentInvoice) -> PaymentInvoice:
    """Cancel a pending invoice (a cancelled one stays so); paid or refunded ones raise
    InvoiceNotCancellable, and so does one with a Click Pass charge in flight (Click may be
    taking the money). Another payment still in flight on it is cancelled with it."""
    with transaction.atomic():
        locked = PaymentInvoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED):
            raise InvoiceNotCancellable(locked)
        if PaymentTransaction.objects.filter(
            invoice=locked, click_pass=True, state=TransactionState.CREATED
        ).exists():
            # Click may be charging the card right now; cancelling could leave money taken for
            # a cancelled invoice. The charge settles within a minute.
            raise InvoiceNotCancellable(
                locked, "A Click Pass charge of this invoice is still in progress."
            )
        if locked.status == InvoiceStatus.PENDING:
            _cancel_in_flight(locked, reason=CancelReason.EXECUTION_FAILED)
            locked.status = InvoiceStatus.CANCELLED
            locked.save(update_fields=["status", "updated_at"])
    invoice.refresh_from_db()
    return invoice


def invoice_mark_paid(*, invoice: PaymentInvoice, payment: PaymentTransaction) -> None:
    """The invoice (locked by the caller) is paid by ``payment``, just performed: its status, when,
    by which gateway and transaction; ``payment.completed`` goes into the webhook pipeline."""
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = datetime_of_ms(payment.perform_time)
    invoice.provider = payment.provider
    invoice.provider_transaction_id = payment.provider_transaction_id
    invoice.save(
        update_fields=["status", "paid_at", "provider", "provider_transaction_id", "updated_at"]
    )
    payment_event_emit(transaction=payment, invoice=invoice)


def invoice_is_expired(invoice: PaymentInvoice) -> bool:
    return invoice.expires_at is not None and invoice.expires_at <= timezone.now()


def invoice_cancel_expired(*, limit: int = 500) -> int:
    """Cancel pending invoices past ``expires_at`` with no created (state 1) transaction in
    flight; the number cancelled. What beat runs every minute."""
    in_flight = PaymentTransaction.objects.filter(
        invoice=OuterRef("pk"), state=TransactionState.CREATED
    )
    cancelled = 0
    with transaction.atomic():
        rows = list(
            PaymentInvoice.objects.filter(
                status=InvoiceStatus.PENDING, expires_at__lte=timezone.now()
            )
            .exclude(Exists(in_flight))
            .select_for_update(skip_locked=True)
            .order_by("expires_at")[:limit]
        )
        for invoice in rows:
            # A gateway may have created a transaction after the query above chose the invoice
            # but before it was locked; the lock now keeps any new one out until commit.
            if PaymentTransaction.objects.filter(
                invoice=invoice, state=TransactionState.CREATED
            ).exists():
                continue
            invoice.status = InvoiceStatus.CANCELLED
            invoice.save(update_fields=["status", "updated_at"])
            cancelled += 1
    if cancelled:
        logger.info("payments: cancelled %d expired invoice(s)", cancelled)
    return cancelled
