"""Times in milliseconds and the webhooks a payment's state change emits."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from payments.models import PaymentInvoice, PaymentTransaction, TransactionState
from webhooks.services import webhook_emit

EVENT_TYPES = {
    TransactionState.CREATED: "payment.created",
    TransactionState.PERFORMED: "payment.completed",
    TransactionState.CANCELLED: "payment.cancelled",
    TransactionState.CANCELLED_AFTER_PERFORM: "payment.cancelled",
}


def now_ms() -> int:
    """Milliseconds since the epoch, as the gateways count time."""
    moment = timezone.now()
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def datetime_of_ms(value: int) -> datetime:
    seconds, milliseconds = divmod(value, 1000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=milliseconds * 1000)


def _state_time(transaction: PaymentTransaction) -> int:
    if transaction.state == TransactionState.PERFORMED:
        return transaction.perform_time
    if transaction.state == TransactionState.CREATED:
        return transaction.create_time
    return transaction.cancel_time


def payment_event_emit(*, transaction: PaymentTransaction, invoice: PaymentInvoice) -> None:
    """Emit the webhook of the transaction's current state. Call it inside the database
    transaction that made the change: the webhook row commits (and is enqueued) with it or not at
    all, and its external id ``payment:<transaction id>:<state>`` makes a repeat emit nothing."""
    webhook_emit(
        integration=transaction.integration,
        event_type=EVENT_TYPES[TransactionState(transaction.state)],
        external_id=f"payment:{transaction.id}:{transaction.state}",
        payload={
            "invoice_id": str(invoice.id),
            "order_id": invoice.order_id,
            "amount": transaction.amount,
            "currency": invoice.currency,
            "provider": transaction.provider,
            "provider_transaction_id": transaction.provider_transaction_id,
            "state": transaction.state,
            "occurred_at": datetime_of_ms(_state_time(transaction)).isoformat(),
        },
    )
