"""Uzum Bank's merchant operations on invoices and transactions (the wire format, the request
checks 10001–10006 and the answers are in ``payments.protocols.uzum``). Each raises UzumError
with the protocol's code, in the check order of gateways.md 1.3.

States (gateways.md 1.4) on the common columns: CREATED = 1, CONFIRMED = 2, FAILED = -1 with
reason 4 (no /confirm within ``config.confirm_timeout_s``), REVERSED = -1 (reason 3, a created or
failed one reversed) or -2 (reason 5, a refund). Every change locks the invoice row first, then
the transaction, as Payme's and Click's services do, so one invoice never gets two live
transactions whichever gateways ask at the same moment; the partial unique index backs that up.
The lazy expiry (``/confirm``, ``/status``) and the sweep (``uzum_transactions_expire``) make the
same change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from integrations.config import IntegrationConfig
from integrations.models import Integration
from payments.models import (
    ACTIVE_STATES,
    CancelReason,
    InvoiceStatus,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    TransactionState,
)
from payments.selectors import transaction_get_for_gateway
from payments.services.events import now_ms, payment_event_emit
from payments.services.invoices import invoice_is_expired, invoice_mark_paid, order_id_or_none

logger = logging.getLogger(__name__)

NOT_FOUND_ATTRIBUTE = "10007"
ALREADY_PAID = "10008"
PAYMENT_CANCELLED = "10009"
TRANSACTION_EXISTS = "10010"
WRONG_AMOUNT = "10011"
BELOW_MINIMUM = "10012"
ABOVE_MAXIMUM = "10013"
TRANSACTION_NOT_FOUND = "10014"
TRANSACTION_CANCELLED = "10015"
ALREADY_CONFIRMED = "10016"
CANNOT_CANCEL = "10017"
ALREADY_CANCELLED = "10018"

# The names Uzum's answers give the hub's states.
CREATED = "CREATED"
CONFIRMED = "CONFIRMED"
REVERSED = "REVERSED"
FAILED = "FAILED"

# The /confirm extras kept on the transaction, as Uzum sends them.
CONFIRM_DETAILS = ("paymentSource", "tariff", "processingReferenceNumber", "phone", "cardType")


@dataclass
class UzumError(Exception):
    """An error answer: ``code`` is the protocol's ``errorCode`` (a string)."""

    code: str
    detail: str = ""


def uzum_status(payment: PaymentTransaction) -> str:
    """The transaction's state as Uzum names it."""
    if payment.state == TransactionState.CREATED:
        return CREATED
    if payment.state == TransactionState.PERFORMED:
        return CONFIRMED
    if payment.state == TransactionState.CANCELLED and payment.reason == CancelReason.TIMEOUT:
        return FAILED
    return REVERSED


def _timeout_ms(config: IntegrationConfig) -> int:
    return config.confirm_timeout_s * 1000


def _expired(payment: PaymentTransaction, moment: int) -> bool:
    """A created Uzum transaction past its integration's confirm window."""
    return (
        payment.provider == PaymentProvider.UZUM
        and payment.state == TransactionState.CREATED
        and moment - payment.create_time > _timeout_ms(payment.integration.typed_config)
    )


def _fail(payment: PaymentTransaction, invoice: PaymentInvoice) -> None:
    """CREATED → FAILED (-1, reason 4); the invoice stays pending. Caller holds the locks."""
    payment.state = TransactionState.CANCELLED
    payment.reason = CancelReason.TIMEOUT
    payment.cancel_time = now_ms()
    payment.save(update_fields=["state", "reason", "cancel_time", "updated_at"])
    payment_event_emit(transaction=payment, invoice=invoice)


def _invoice(params: dict[str, Any], config: IntegrationConfig, *, lock: bool) -> PaymentInvoice:
    order_id = order_id_or_none(params.get(config.account_field))
    if order_id is None:
        raise UzumError(NOT_FOUND_ATTRIBUTE, f"params.{config.account_field} is missing")
    queryset = PaymentInvoice.objects.select_for_update() if lock else PaymentInvoice.objects
    invoice = queryset.filter(order_id=order_id).first()
    if invoice is None:
        raise UzumError(NOT_FOUND_ATTRIBUTE, "no such invoice")
    return invoice


def _check_status(invoice: PaymentInvoice) -> None:
    """10008 for a paid invoice, 10009 for one that can no longer be paid."""
    if invoice.status == InvoiceStatus.PAID:
        raise UzumError(ALREADY_PAID, "the invoice is paid")
    if invoice.status != InvoiceStatus.PENDING:
        raise UzumError(PAYMENT_CANCELLED, f"the invoice is {invoice.status}")
    if invoice_is_expired(invoice):
        raise UzumError(PAYMENT_CANCELLED, "the invoice has expired")


def _live_sibling(invoice: PaymentInvoice, moment: int, *, fail_expired: bool) -> bool:
    """Whether another live transaction (any provider) holds the invoice. An Uzum one past its
    confirm window is not live; with ``fail_expired`` (the invoice locked) it is marked FAILED,
    so the one-active-transaction index lets a new one in."""
    for sibling in PaymentTransaction.objects.filter(
        invoice=invoice, state__in=ACTIVE_STATES
    ).select_related("integration"):
        if _expired(sibling, moment):
            if fail_expired:
                _fail(sibling, invoice)
            continue
        return True
    return False


def uzum_check(*, integration: Integration, params: dict[str, Any]) -> PaymentInvoice:
    """/check: the invoice ``params`` names, when it can be paid (10007 → 10008 → 10009)."""
    invoice = _invoice(params, integration.typed_config, lock=False)
    if invoice.status == InvoiceStatus.PAID or _live_sibling(invoice, now_ms(), fail_expired=False):
        raise UzumError(ALREADY_PAID, "the invoice is paid or being paid")
    _check_status(invoice)
    return invoice


def _stored(trans_id: str) -> PaymentTransaction | None:
    return transaction_get_for_gateway(
        provider=PaymentProvider.UZUM, provider_transaction_id=trans_id
    )


def _check_amount(amount: int, invoice: PaymentInvoice, config: IntegrationConfig) -> None:
    if amount != invoice.amount:
        if amount * 100 == invoice.amount:
            logger.warning(
                "uzum: /create for %s sent the amount in so'm, not tiyin", invoice.order_id
            )
        raise UzumError(WRONG_AMOUNT, f"the invoice's amount is {invoice.amount} tiyin")
    if config.min_amount is not None and amount < config.min_amount:
        raise UzumError(BELOW_MINIMUM, f"below config.min_amount {config.min_amount}")
    if config.max_amount is not None and amount > config.max_amount:
        raise UzumError(ABOVE_MAXIMUM, f"above config.max_amount {config.max_amount}")


def uzum_create(
    *, integration: Integration, trans_id: str, params: dict[str, Any], amount: int
) -> PaymentTransaction:
    """/create: a CREATED transaction for the invoice ``params`` names (10010 → 10007 →
    10008/10009 → 10011 → 10012/10013 → 10008 while another live transaction holds it)."""
    config = integration.typed_config
    if _stored(trans_id) is not None:
        raise UzumError(TRANSACTION_EXISTS, "transId is already stored")
    _invoice(params, config, lock=False)
    try:
        with transaction.atomic():
            invoice = _invoice(params, config, lock=True)
            # Under the invoice's lock: a twin request that held it first has committed.
            if _stored(trans_id) is not None:
                raise UzumError(TRANSACTION_EXISTS, "transId is already stored")
            _check_status(invoice)
            _check_amount(amount, invoice, config)
            moment = now_ms()
            if _live_sibling(invoice, moment, fail_expired=True):
                raise UzumError(ALREADY_PAID, "another payment of the invoice is in progress")
            payment = PaymentTransaction.objects.create(
                integration=integration,
                provider=PaymentProvider.UZUM,
                provider_transaction_id=trans_id,
                invoice=invoice,
                amount=amount,
                state=TransactionState.CREATED,
                create_time=moment,
                account={config.account_field: invoice.order_id},
            )
            payment_event_emit(transaction=payment, invoice=invoice)
    except IntegrityError as error:
        # The same transId stored for another invoice at the same moment (the unique index on
        # (provider, transId) decided), or, should a writer ever skip the invoice lock, another
        # live transaction (the one-active index).
        if "one_active_per_invoice" in str(error):
            raise UzumError(ALREADY_PAID, "another payment of the invoice is in progress") from None
        raise UzumError(TRANSACTION_EXISTS, "transId is already stored") from None
    return payment


def _transaction(integration: Integration, trans_id: str) -> PaymentTransaction:
    payment = _stored(trans_id)
    if payment is None or payment.integration_id != integration.id:
        raise UzumError(TRANSACTION_NOT_FOUND, "no such transId")
    return payment


def _locked(payment: PaymentTransaction) -> tuple[PaymentTransaction, PaymentInvoice]:
    """The invoice locked first (every writer of its transactions takes that lock), then the
    transaction, as it is now."""
    invoice = PaymentInvoice.objects.select_for_update().get(pk=payment.invoice_id)
    current = (
        PaymentTransaction.objects.select_for_update()
        .select_related("integration")
        .get(pk=payment.pk)
    )
    current.invoice = invoice  # the answer reads it: no query after the commit
    return current, invoice


def uzum_confirm(
    *, integration: Integration, trans_id: str, details: dict[str, Any]
) -> PaymentTransaction:
    """/confirm: CREATED → CONFIRMED, the invoice paid (10014 → 10016 → 10015). A transaction
    past its window, or whose invoice was cancelled meanwhile, is marked FAILED (committed) and
    answered 10015. The extras in ``details`` are stored on the transaction."""
    payment = _transaction(integration, trans_id)
    failed_now = False
    with transaction.atomic():
        payment, invoice = _locked(payment)
        if payment.state == TransactionState.PERFORMED:
            raise UzumError(ALREADY_CONFIRMED, "already confirmed")
        if payment.state != TransactionState.CREATED:
            raise UzumError(TRANSACTION_CANCELLED, f"the transaction is {uzum_status(payment)}")
        moment = now_ms()
        if _expired(payment, moment) or invoice.status != InvoiceStatus.PENDING:
            _fail(payment, invoice)
            failed_now = True
        else:
            payment.state = TransactionState.PERFORMED
            payment.perform_time = moment
            payment.provider_details = {name: details.get(name) for name in CONFIRM_DETAILS}
            payment.save(update_fields=["state", "perform_time", "provider_details", "updated_at"])
            invoice_mark_paid(invoice=invoice, payment=payment)
    if failed_now:
        raise UzumError(TRANSACTION_CANCELLED, "the confirm window has passed")
    return payment


def uzum_reverse(*, integration: Integration, trans_id: str) -> PaymentTransaction:
    """/reverse: CREATED or FAILED → REVERSED (-1, reason 3; the invoice stays pending),
    CONFIRMED → REVERSED (-2, reason 5; the invoice refunded) unless ``config.refunds_allowed``
    is false (10017); 10014 → 10018 → 10017."""
    payment = _transaction(integration, trans_id)
    with transaction.atomic():
        payment, invoice = _locked(payment)
        status = uzum_status(payment)
        if status == REVERSED:
            raise UzumError(ALREADY_CANCELLED, "already reversed")
        if status == CONFIRMED and not integration.typed_config.refunds_allowed:
            raise UzumError(CANNOT_CANCEL, "refunds are not allowed (config.refunds_allowed)")
        payment.cancel_time = now_ms()
        if status == CONFIRMED:
            payment.state = TransactionState.CANCELLED_AFTER_PERFORM
            payment.reason = CancelReason.REFUND
        else:
            payment.state = TransactionState.CANCELLED
            payment.reason = CancelReason.EXECUTION_FAILED
        payment.save(update_fields=["state", "reason", "cancel_time", "updated_at"])
        if status == CONFIRMED:
            invoice.status = InvoiceStatus.REFUNDED
            invoice.save(update_fields=["status", "updated_at"])
        if status != FAILED:
            # A failed one told its cancellation when it failed.
            payment_event_emit(transaction=payment, invoice=invoice)
    return payment


def uzum_transaction_status(*, integration: Integration, trans_id: str) -> PaymentTransaction:
    """/status: read-only, apart from the lazy expiry of a CREATED one past its window."""
    payment = _transaction(integration, trans_id)
    if _expired(payment, now_ms()):
        with transaction.atomic():
            payment, invoice = _locked(payment)
            if _expired(payment, now_ms()):
                _fail(payment, invoice)
    return payment


def uzum_transactions_expire(*, limit: int = 500) -> int:
    """Mark FAILED every created Uzum transaction past its integration's confirm window; the
    number failed. What beat runs every minute, with the invoice expiry sweep."""
    moment = now_ms()
    candidates = list(
        PaymentTransaction.objects.filter(
            provider=PaymentProvider.UZUM, state=TransactionState.CREATED
        )
        .select_related("integration")
        .order_by("create_time")[:limit]
    )
    failed = 0
    for candidate in candidates:
        if not _expired(candidate, moment):
            continue
        with transaction.atomic():
            invoice = (
                PaymentInvoice.objects.select_for_update(skip_locked=True)
                .filter(pk=candidate.invoice_id)
                .first()
            )
            if invoice is None:
                continue  # a gateway call holds it; that call or the next sweep decides
            payment = PaymentTransaction.objects.select_related("integration").get(pk=candidate.pk)
            if _expired(payment, now_ms()):
                _fail(payment, invoice)
                failed += 1
    if failed:
        logger.info("payments: %d Uzum transaction(s) failed after the confirm window", failed)
    return failed
