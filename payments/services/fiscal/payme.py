"""Payme's fiscal receipts (``gateways.md`` 5.1): ``SetFiscalData`` pushes the sale's or the
refund's receipt of a Payme transaction, and the hub stores it as Payme sent it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from integrations.models import Integration
from payments.models import (
    FiscalReceipt,
    PaymentProvider,
    PaymentTransaction,
    ReceiptKind,
    ReceiptStatus,
    TransactionState,
)
from payments.services.fiscal.records import (
    fiscal_receipt_fail,
    receipt_keep_payload,
    receipt_url_parts,
)

logger = logging.getLogger(__name__)


class ReceiptTransactionNotFound(Exception):
    """SetFiscalData for a transaction id the integration does not have."""


def fiscal_receipt_store_payme(
    *,
    integration: Integration,
    payme_id: str,
    kind: str,
    receipt_id: str,
    status_code: int,
    message: str,
    terminal_id: str,
    fiscal_sign: str,
    qr_code_url: str,
    fiscalized_at: datetime | None,
    raw: dict[str, Any],
) -> FiscalReceipt:
    """Store Payme's receipt of the transaction ``payme_id``: the sale (PERFORM) or the refund
    (CANCEL), separate documents. A repeat updates the same row (latest wins, the earlier
    payload kept); ``status_code`` 0 is fiscalized, any other failed with ``message``. Lenient:
    a receipt in an unexpected transaction state, or fields that disagree with the URL, are
    stored and flagged in ``warnings``, never refused."""
    with transaction.atomic():
        # The transaction row lock serializes two deliveries of the same receipt.
        payment = (
            PaymentTransaction.objects.select_for_update()
            .filter(
                provider=PaymentProvider.PAYME,
                integration=integration,
                provider_transaction_id=payme_id,
            )
            .first()
        )
        if payment is None:
            raise ReceiptTransactionNotFound(payme_id)
        receipt = FiscalReceipt.objects.filter(transaction=payment, kind=kind).first()
        if receipt is None:
            receipt = FiscalReceipt(
                invoice_id=payment.invoice_id,
                transaction=payment,
                provider=PaymentProvider.PAYME,
                kind=kind,
                total=payment.amount,
                received_card=payment.amount,
            )
        warnings: list[str] = []
        expected_states = (
            (TransactionState.PERFORMED, TransactionState.CANCELLED_AFTER_PERFORM)
            if kind == ReceiptKind.SALE
            else (TransactionState.CANCELLED_AFTER_PERFORM,)
        )
        if payment.state not in expected_states:
            warnings.append(f"{kind} receipt for a transaction in state {payment.state}")
        from_url = receipt_url_parts(qr_code_url) if qr_code_url else {}
        given = {
            "terminal_id": terminal_id,
            "receipt_id": receipt_id,
            "fiscal_sign": fiscal_sign,
            "fiscalized_at": fiscalized_at,
        }
        for name, value in given.items():
            if value and name in from_url and from_url[name] != value:
                warnings.append(f"{name} {value} differs from the URL's {from_url[name]}")
        for warning in warnings:
            logger.warning("payme SetFiscalData %s %s: %s", payme_id, kind, warning)
        receipt.receipt_id = receipt_id or from_url.get("receipt_id", "")
        receipt.terminal_id = terminal_id or from_url.get("terminal_id", "")
        receipt.fiscal_sign = fiscal_sign or from_url.get("fiscal_sign", "")
        receipt.qr_code_url = qr_code_url
        receipt.fiscalized_at = fiscalized_at or from_url.get("fiscalized_at")
        receipt.provider_status_code = status_code
        receipt.warnings = warnings
        receipt_keep_payload(receipt, "SetFiscalData", raw)
        if status_code == 0:
            receipt.status = ReceiptStatus.FISCALIZED
            receipt.error_message = ""
            receipt.save()
        else:
            fiscal_receipt_fail(
                receipt=receipt, message=message or f"Payme status_code {status_code}"
            )
    return receipt
