"""Payme's ``SetFiscalData``: the sale (PERFORM) or refund (CANCEL) receipt Payme made for a
transaction, stored through ``payments.services.fiscal``. Params of the wrong shape are -32602
naming the field (``gateways.md`` 5.1, not -32600 as for the other methods); an unknown
transaction is -32001. ``payments.protocols.payme`` routes the method here.
"""

from __future__ import annotations

import re
from typing import Any

from integrations.jsontext import json_storable
from integrations.models import Integration
from payments.models import ReceiptKind
from payments.services.fiscal import (
    ReceiptTransactionNotFound,
    fiscal_receipt_store_payme,
    fiscal_time,
)
from payments.services.payme import PaymeError

RECEIPT_NOT_FOUND = -32001

# Payme's transaction id, in every method: 1 to 64 printable ASCII characters.
TRANSACTION_ID = re.compile(r"[\x21-\x7e]{1,64}")


class FiscalParamsInvalid(Exception):
    """SetFiscalData's params of the wrong shape: -32602 naming the field."""


_FISCAL_KINDS = {"PERFORM": ReceiptKind.SALE, "CANCEL": ReceiptKind.REFUND}


def _fiscal_text(fiscal_data: dict[str, Any], name: str, *, limit: int) -> str:
    value = fiscal_data.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FiscalParamsInvalid(f"fiscal_data.{name}")
    text = str(value).strip()
    if len(text) > limit or "\x00" in text:
        raise FiscalParamsInvalid(f"fiscal_data.{name}")
    return text


def set_fiscal_data(integration: Integration, params: dict[str, Any]) -> dict[str, Any]:
    """The sale (PERFORM) or refund (CANCEL) receipt Payme made for a transaction."""
    payme_id = params.get("id")
    if not isinstance(payme_id, str) or not TRANSACTION_ID.fullmatch(payme_id):
        raise FiscalParamsInvalid("id")
    kind = _FISCAL_KINDS.get(params.get("type"))  # type: ignore[arg-type]
    if kind is None:
        raise FiscalParamsInvalid("type")
    fiscal_data = params.get("fiscal_data")
    if not isinstance(fiscal_data, dict):
        raise FiscalParamsInvalid("fiscal_data")
    status_code = fiscal_data.get("status_code")
    if type(status_code) is not int or not -(2**31) <= status_code < 2**31:
        raise FiscalParamsInvalid("fiscal_data.status_code")
    date_text = _fiscal_text(fiscal_data, "date", limit=14)
    fiscalized_at = fiscal_time(date_text) if date_text else None
    if date_text and fiscalized_at is None:
        raise FiscalParamsInvalid("fiscal_data.date")
    qr_code_url = _fiscal_text(fiscal_data, "qr_code_url", limit=2000)
    if qr_code_url and not qr_code_url.startswith(("https://", "http://")):
        raise FiscalParamsInvalid("fiscal_data.qr_code_url")
    try:
        fiscal_receipt_store_payme(
            integration=integration,
            payme_id=payme_id,
            kind=kind,
            receipt_id=_fiscal_text(fiscal_data, "receipt_id", limit=64),
            status_code=status_code,
            message=_fiscal_text(fiscal_data, "message", limit=2000),
            terminal_id=_fiscal_text(fiscal_data, "terminal_id", limit=32),
            fiscal_sign=_fiscal_text(fiscal_data, "fiscal_sign", limit=64),
            qr_code_url=qr_code_url,
            fiscalized_at=fiscalized_at,
            raw=json_storable(fiscal_data),
        )
    except ReceiptTransactionNotFound:
        raise PaymeError(RECEIPT_NOT_FOUND, "receipt_not_found") from None
    return {"success": True}
