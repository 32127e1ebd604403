"""Paynet's provider web service on invoices and transactions (the wire format, the check order
and the error codes' order are in ``payments.protocols.paynet``). Each refusal raises PaynetError
with the protocol's code.

Paynet has one step: PerformTransaction takes the money, so a transaction is created directly
performed (hub state 2) and a cancel of it is a refund (-2, reason 5). Every change locks the
invoice row first (``select_for_update`` inside ``transaction.atomic``): of two transactionIds
racing for one invoice the second waits for the first's commit and finds the invoice paid (302);
the unique (provider, provider_transaction_id) index backs up a repeated transactionId (201).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from integrations.models import Integration, SecretChangeAction
from integrations.services import secret_changes_record
from payments.models import (
    PAYNET_TRN_SEQUENCE,
    CancelReason,
    InvoiceStatus,
    PaymentCounter,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    TransactionState,
)
from payments.selectors import transaction_get_for_gateway
from payments.services.events import now_ms, payment_event_emit
from payments.services.invoices import invoice_is_expired, invoice_mark_paid, order_id_or_none

logger = logging.getLogger(__name__)

CANNOT_CANCEL = 77
ALREADY_EXISTS = 201
ALREADY_CANCELLED = 202
NOT_FOUND = 203
CLIENT_NOT_FOUND = 302
WRONG_AMOUNT = 413

# CheckTransaction's transactionState: Paynet's numbering, not the hub's.
PAYNET_PERFORMED = 1
PAYNET_CANCELLED = 2
PAYNET_NOT_FOUND = 3


@dataclass
class PaynetError(Exception):
    """A refusal of the protocol's error kind."""

    code: int


@dataclass(frozen=True)
class PaynetCheck:
    """What CheckTransaction answers: the hub's providerTrnId (0 when unknown), the time (ms) of
    the transaction's last change (None when unknown: the caller writes now) and Paynet's state."""

    provider_trn_id: int
    time_ms: int | None
    state: int


def _next_provider_trn_id() -> int:
    """A new providerTrnId: from the PostgreSQL sequence (never handed out twice, even after a
    rollback); on SQLite from a counter row that stays locked until the caller commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [PAYNET_TRN_SEQUENCE])
            value: int = cursor.fetchone()[0]
        return value
    counter = PaymentCounter.objects.filter(name=PAYNET_TRN_SEQUENCE)
    if not counter.update(value=F("value") + 1):
        try:
            with transaction.atomic():
                PaymentCounter.objects.create(name=PAYNET_TRN_SEQUENCE, value=100_000)
        except IntegrityError:
            pass
        counter.update(value=F("value") + 1)
    return PaymentCounter.objects.get(name=PAYNET_TRN_SEQUENCE).value


def _known(transaction_id: int) -> PaymentTransaction | None:
    return transaction_get_for_gateway(
        provider=PaymentProvider.PAYNET, provider_transaction_id=str(transaction_id)
    )


def _own(integration: Integration, transaction_id: int) -> PaymentTransaction | None:
    """The integration's transaction with Paynet's id (another integration's is not its to see)."""
    return transaction_get_for_gateway(
        provider=PaymentProvider.PAYNET,
        provider_transaction_id=str(transaction_id),
        integration=integration,
    )


def _payable(invoice: PaymentInvoice | None) -> PaymentInvoice:
    """The invoice when it can be paid now, else 302: unknown, not pending, expired, or held by
    another gateway's created (state 1) transaction."""
    if (
        invoice is None
        or invoice.status != InvoiceStatus.PENDING
        or invoice_is_expired(invoice)
        or PaymentTransaction.objects.filter(
            invoice=invoice, state=TransactionState.CREATED
        ).exists()
    ):
        raise PaynetError(CLIENT_NOT_FOUND)
    return invoice


def _invoice(order_id: object, *, lock: bool) -> PaymentInvoice | None:
    value = order_id_or_none(order_id)
    if value is None:
        return None
    queryset = PaymentInvoice.objects.select_for_update() if lock else PaymentInvoice.objects
    return queryset.filter(order_id=value).first()


def paynet_information(*, order_id: object) -> PaymentInvoice:
    """GetInformation: the invoice that account value names, when it can be paid (else 302)."""
    return _payable(_invoice(order_id, lock=False))


def paynet_perform(
    *,
    integration: Integration,
    transaction_id: int,
    amount: object,
    order_id: object,
    fields: dict[str, object],
) -> PaymentTransaction:
    """PerformTransaction: a transaction created performed (state 2) and the invoice paid, with
    ``payment.created`` and ``payment.completed`` emitted; 201 for a known transactionId (checked
    before the account), 302 for an invoice that cannot be paid, 413 for another amount."""
    if _known(transaction_id) is not None:
        raise PaynetError(ALREADY_EXISTS)
    try:
        with transaction.atomic():
            locked = _invoice(order_id, lock=True)
            # Under the invoice's lock: a twin call that held it first has committed its row,
            # and this is a repeat (201) before it is a call for a paid invoice (302).
            if _known(transaction_id) is not None:
                raise PaynetError(ALREADY_EXISTS)
            invoice = _payable(locked)
            if type(amount) is not int or amount != invoice.amount:
                raise PaynetError(WRONG_AMOUNT)
            moment = now_ms()
            payment = PaymentTransaction.objects.create(
                integration=integration,
                provider=PaymentProvider.PAYNET,
                provider_transaction_id=str(transaction_id),
                provider_trn_id=_next_provider_trn_id(),
                invoice=invoice,
                amount=amount,
                state=TransactionState.PERFORMED,
                create_time=moment,
                perform_time=moment,
                account=fields,
            )
            # One step at Paynet, two events in the pipeline: what a Payme or Click payment
            # tells a listener, created then completed, at the same moment.
            created = copy.copy(payment)
            created.state = TransactionState.CREATED
            payment_event_emit(transaction=created, invoice=invoice)
            invoice_mark_paid(invoice=invoice, payment=payment)
    except IntegrityError:
        # The same transactionId for another invoice at the same moment: the index decided.
        if _known(transaction_id) is None:
            raise
        raise PaynetError(ALREADY_EXISTS) from None
    return payment


def paynet_check(*, integration: Integration, transaction_id: int) -> PaynetCheck:
    """CheckTransaction: 1 performed, 2 cancelled, 3 not found (a result, never an error)."""
    payment = _own(integration, transaction_id)
    if payment is None or payment.provider_trn_id is None:
        return PaynetCheck(0, None, PAYNET_NOT_FOUND)
    if payment.state == TransactionState.CANCELLED_AFTER_PERFORM:
        return PaynetCheck(payment.provider_trn_id, payment.cancel_time, PAYNET_CANCELLED)
    return PaynetCheck(payment.provider_trn_id, payment.perform_time, PAYNET_PERFORMED)


def paynet_cancel(*, integration: Integration, transaction_id: int) -> PaymentTransaction:
    """CancelTransaction: the performed transaction cancelled (-2, reason 5) and its invoice
    refunded, ``payment.cancelled`` emitted. 203 unknown, 202 already cancelled, 77 when
    ``config.refunds_allowed`` is false (the goods are out of the machine)."""
    payment = _own(integration, transaction_id)
    if payment is None:
        raise PaynetError(NOT_FOUND)
    with transaction.atomic():
        invoice = PaymentInvoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = PaymentTransaction.objects.select_related("integration").get(pk=payment.pk)
        if payment.state != TransactionState.PERFORMED:
            raise PaynetError(ALREADY_CANCELLED)
        if not integration.typed_config.refunds_allowed:
            raise PaynetError(CANNOT_CANCEL)
        payment.state = TransactionState.CANCELLED_AFTER_PERFORM
        payment.cancel_time = now_ms()
        payment.reason = CancelReason.REFUND
        payment.save(update_fields=["state", "cancel_time", "reason", "updated_at"])
        invoice.status = InvoiceStatus.REFUNDED
        invoice.save(update_fields=["status", "updated_at"])
        payment_event_emit(transaction=payment, invoice=invoice)
    return payment


def paynet_statement(
    *, integration: Integration, date_from: datetime, date_to: datetime
) -> list[PaymentTransaction]:
    """GetStatement: the integration's transactions performed from ``date_from`` to ``date_to``
    (whole seconds, both inclusive) and not cancelled, oldest first."""
    start = int(date_from.timestamp()) * 1000
    end = int(date_to.timestamp()) * 1000 + 999
    return list(
        PaymentTransaction.objects.filter(
            integration=integration,
            provider=PaymentProvider.PAYNET,
            state=TransactionState.PERFORMED,
            perform_time__gte=start,
            perform_time__lte=end,
        ).order_by("perform_time", "provider_trn_id")
    )


def paynet_password_change(*, integration: Integration, password: str) -> None:
    """ChangePassword: the new password becomes ``api_secret``, recorded as a secret change by
    Paynet (never the value)."""
    with transaction.atomic():
        locked = Integration.all_objects.select_for_update().get(pk=integration.pk)
        locked.api_secret = password
        locked.save(update_fields=["api_secret", "updated_at"])
        secret_changes_record(
            integration=locked,
            changes=[("api_secret", SecretChangeAction.CHANGED)],
            actor="paynet",
        )
    logger.info("payments: api_secret of integration %s changed by Paynet", integration.code)
