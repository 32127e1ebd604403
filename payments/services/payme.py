"""Payme's merchant operations on invoices and transactions (the wire format is in
``payments.protocols.payme``). Each raises PaymeError with the protocol's code.

Every change locks the invoice row first (``select_for_update`` inside ``transaction.atomic``):
two CreateTransaction calls for one invoice at the same moment queue on that lock, and the second
sees the first one's transaction, so exactly one wins. The partial unique index on active
transactions backs that up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from integrations.config import IntegrationConfig
from integrations.models import Integration, SecretChangeAction
from integrations.services import secret_changes_record
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

# A created transaction not performed within 12 hours is cancelled (reason 4).
TIMEOUT_MS = 43_200_000

WRONG_AMOUNT = -31001
NOT_FOUND = -31003
CANNOT_CANCEL = -31007
NOT_ALLOWED = -31008
ACCOUNT_NOT_FOUND = -31050
ACCOUNT_NOT_PAYABLE = -31051
ACCOUNT_EXPIRED = -31052


@dataclass
class PaymeError(Exception):
    """An answer of the protocol's error kind: ``code``, a message key, ``data``."""

    code: int
    key: str
    data: Any = None


def _account_error(code: int, key: str, config: IntegrationConfig) -> PaymeError:
    return PaymeError(code, key, config.account_field)


def _order_id(account: dict[str, Any], config: IntegrationConfig) -> str | None:
    return order_id_or_none(account.get(config.account_field))


def _invoice_for(
    account: dict[str, Any], config: IntegrationConfig, *, lock: bool
) -> PaymentInvoice:
    order_id = _order_id(account, config)
    queryset = PaymentInvoice.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    invoice = queryset.filter(order_id=order_id).first() if order_id else None
    if invoice is None:
        raise _account_error(ACCOUNT_NOT_FOUND, "account_not_found", config)
    return invoice


def _timed_out(payment: PaymentTransaction, moment: int) -> bool:
    return payment.state == TransactionState.CREATED and moment - payment.create_time > TIMEOUT_MS


def _cancel(payment: PaymentTransaction, invoice: PaymentInvoice, *, reason: int) -> None:
    performed = payment.state == TransactionState.PERFORMED
    payment.state = (
        TransactionState.CANCELLED_AFTER_PERFORM if performed else TransactionState.CANCELLED
    )
    payment.cancel_time = now_ms()
    payment.reason = reason
    payment.save(update_fields=["state", "cancel_time", "reason", "updated_at"])
    if performed:
        invoice.status = InvoiceStatus.REFUNDED
        invoice.save(update_fields=["status", "updated_at"])
    payment_event_emit(transaction=payment, invoice=invoice)


def _check_payable(
    invoice: PaymentInvoice,
    *,
    amount: int,
    config: IntegrationConfig,
    moment: int,
    cancel_timed_out: bool,
) -> None:
    """The checks of CheckPerformTransaction, also made before a new transaction is created.
    With ``cancel_timed_out`` (the invoice is locked) an abandoned created transaction older
    than 12 hours is cancelled (reason 4) and no longer blocks the invoice."""
    if amount != invoice.amount:
        raise PaymeError(WRONG_AMOUNT, "wrong_amount")
    active = (
        PaymentTransaction.objects.filter(invoice=invoice, state__in=ACTIVE_STATES)
        .select_related("integration")
        .first()
    )
    if active is not None and _timed_out(active, moment):
        if cancel_timed_out:
            _cancel(active, invoice, reason=CancelReason.TIMEOUT)
        active = None
    if active is not None:
        raise PaymeError(NOT_ALLOWED, "other_transaction")
    if invoice.status != InvoiceStatus.PENDING:
        raise _account_error(ACCOUNT_NOT_PAYABLE, "account_not_payable", config)
    if invoice_is_expired(invoice):
        raise _account_error(ACCOUNT_EXPIRED, "account_expired", config)


def payme_check_perform(
    *, integration: Integration, amount: int, account: dict[str, Any]
) -> PaymentInvoice:
    """CheckPerformTransaction: the invoice that may be paid with that amount."""
    config = integration.typed_config
    invoice = _invoice_for(account, config, lock=False)
    _check_payable(invoice, amount=amount, config=config, moment=now_ms(), cancel_timed_out=False)
    return invoice


def _transaction(integration: Integration, payme_id: str) -> PaymentTransaction:
    payment = transaction_get_for_gateway(
        provider=PaymentProvider.PAYME, provider_transaction_id=payme_id, integration=integration
    )
    if payment is None:
        raise PaymeError(NOT_FOUND, "transaction_not_found")
    return payment


def _locked(payment: PaymentTransaction) -> tuple[PaymentTransaction, PaymentInvoice]:
    """The invoice locked (every writer of its transactions takes this lock first), and the
    transaction as it is now."""
    invoice = PaymentInvoice.objects.select_for_update().get(pk=payment.invoice_id)
    current = PaymentTransaction.objects.select_related("integration").get(pk=payment.pk)
    return current, invoice


def _not_allowed(payment: PaymentTransaction) -> PaymeError:
    """-31008 for a transaction past created; one cancelled by the timeout says so, as the call
    that timed it out did, so a repeated call gets the same answer."""
    timed_out = (
        payment.state == TransactionState.CANCELLED and payment.reason == CancelReason.TIMEOUT
    )
    return PaymeError(NOT_ALLOWED, "timeout" if timed_out else "not_active")


def _repeat_create(payment: PaymentTransaction) -> tuple[PaymentTransaction, bool]:
    """A CreateTransaction for an id we have: the same answer while it is created; a
    timed-out one is cancelled (reason 4) and answered -31008 once that is committed."""
    with transaction.atomic():
        current, invoice = _locked(payment)
        if current.state != TransactionState.CREATED:
            raise _not_allowed(current)
        if _timed_out(current, now_ms()):
            _cancel(current, invoice, reason=CancelReason.TIMEOUT)
            return current, True
    return current, False


def payme_transaction_create(
    *,
    integration: Integration,
    payme_id: str,
    time: int,
    amount: int,
    account: dict[str, Any],
) -> PaymentTransaction:
    """CreateTransaction: a created (state 1) transaction for the account's invoice, or the one
    created before with that id."""
    config = integration.typed_config
    existing = transaction_get_for_gateway(
        provider=PaymentProvider.PAYME, provider_transaction_id=payme_id
    )
    if existing is None:
        try:
            with transaction.atomic():
                invoice = _invoice_for(account, config, lock=True)
                # Under the invoice's lock: a twin request that held it first has committed.
                existing = transaction_get_for_gateway(
                    provider=PaymentProvider.PAYME, provider_transaction_id=payme_id
                )
                if existing is None:
                    moment = now_ms()
                    _check_payable(
                        invoice,
                        amount=amount,
                        config=config,
                        moment=moment,
                        cancel_timed_out=True,
                    )
                    payment = PaymentTransaction.objects.create(
                        integration=integration,
                        provider=PaymentProvider.PAYME,
                        provider_transaction_id=payme_id,
                        invoice=invoice,
                        amount=amount,
                        state=TransactionState.CREATED,
                        create_time=moment,
                        time=time,
                        account=account,
                    )
                    payment_event_emit(transaction=payment, invoice=invoice)
                    return payment
        except IntegrityError:
            # The same id created for another invoice at the same moment: answered as a repeat.
            existing = transaction_get_for_gateway(
                provider=PaymentProvider.PAYME, provider_transaction_id=payme_id
            )
            if existing is None:
                raise
    if existing.integration_id != integration.id:
        raise PaymeError(NOT_ALLOWED, "not_active")
    payment, timed_out = _repeat_create(existing)
    if timed_out:
        raise PaymeError(NOT_ALLOWED, "timeout")
    return payment


def payme_transaction_perform(*, integration: Integration, payme_id: str) -> PaymentTransaction:
    """PerformTransaction: the invoice paid; a repeat answers the same."""
    payment = _transaction(integration, payme_id)
    with transaction.atomic():
        payment, invoice = _locked(payment)
        if payment.state == TransactionState.PERFORMED:
            return payment
        if payment.state != TransactionState.CREATED:
            raise _not_allowed(payment)
        moment = now_ms()
        if _timed_out(payment, moment):
            _cancel(payment, invoice, reason=CancelReason.TIMEOUT)
            timed_out = True
        elif invoice.status != InvoiceStatus.PENDING:
            raise PaymeError(NOT_ALLOWED, "not_active")
        else:
            timed_out = False
            payment.state = TransactionState.PERFORMED
            payment.perform_time = moment
            payment.save(update_fields=["state", "perform_time", "updated_at"])
            invoice_mark_paid(invoice=invoice, payment=payment)
    if timed_out:
        raise PaymeError(NOT_ALLOWED, "timeout")
    return payment


def payme_transaction_cancel(
    *, integration: Integration, payme_id: str, reason: int
) -> PaymentTransaction:
    """CancelTransaction: created → -1 (the invoice stays pending), performed → -2 (refunded,
    unless ``config.refunds_allowed`` is false: -31007); a repeat answers the same."""
    payment = _transaction(integration, payme_id)
    with transaction.atomic():
        payment, invoice = _locked(payment)
        if payment.state in ACTIVE_STATES:
            if (
                payment.state == TransactionState.PERFORMED
                and not integration.typed_config.refunds_allowed
            ):
                raise PaymeError(CANNOT_CANCEL, "cannot_cancel")
            _cancel(payment, invoice, reason=reason)
    return payment


def payme_transaction_check(*, integration: Integration, payme_id: str) -> PaymentTransaction:
    return _transaction(integration, payme_id)


def payme_statement(
    *, integration: Integration, from_time: int, to_time: int
) -> list[PaymentTransaction]:
    """GetStatement: the integration's transactions with ``from <= time <= to``, by time."""
    return list(
        PaymentTransaction.objects.filter(
            integration=integration,
            provider=PaymentProvider.PAYME,
            time__gte=from_time,
            time__lte=to_time,
        ).order_by("time", "create_time")
    )


def payme_password_change(*, integration: Integration, password: str, actor: str = "payme") -> None:
    """ChangePassword: Payme's new cash-register key becomes the integration's ``api_secret``
    (recorded as a secret change by ``actor``)."""
    with transaction.atomic():
        locked = Integration.all_objects.select_for_update().get(pk=integration.pk)
        locked.api_secret = password
        locked.save(update_fields=["api_secret", "updated_at"])
        secret_changes_record(
            integration=locked,
            changes=[("api_secret", SecretChangeAction.CHANGED)],
            actor=actor,
        )
    logger.info("payments: api_secret of integration %s changed by Payme", integration.code)
