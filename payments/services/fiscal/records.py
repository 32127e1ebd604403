"""Fiscal receipt records shared by both sides (Payme's pushed receipts, the Click OFD job): the
receipt URL and time formats, the raw payloads kept on a row, and ``fiscal_receipt_fail``, the one
place a receipt becomes ``failed`` (and the ``fiscal_receipt.failed`` alert is recorded).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone as django_timezone

from integrations.alerts import alert_record
from integrations.jsontext import json_storable
from payments.models import FiscalReceipt, ReceiptStatus

logger = logging.getLogger(__name__)

TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")
# Raw payloads kept per receipt (latest last).
_KEPT_PAYLOADS = 20
_DATE = re.compile(r"\d{14}")


def fiscal_time(text: str) -> datetime | None:
    """``yyyyMMddHHmmss`` in Tashkent time (the OFD's ``c``, Payme's ``date``), or None."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=TASHKENT)
    except ValueError:
        return None


def receipt_url_parts(url: str) -> dict[str, Any]:
    """The four fields of a receipt URL ``…?t=<terminal>&r=<receipt>&c=<time>&s=<sign>``
    (``/check`` or ``/epi``); absent parts are left out."""
    query = parse_qs(urlsplit(url).query)
    parts: dict[str, Any] = {}
    # Cut to the columns' widths: an odd URL is stored, never a failed save.
    for key, name, width in (
        ("t", "terminal_id", 32),
        ("r", "receipt_id", 64),
        ("s", "fiscal_sign", 64),
    ):
        if query.get(key) and query[key][0]:
            parts[name] = query[key][0][:width]
    moment = fiscal_time(query.get("c", [""])[0])
    if moment is not None:
        parts["fiscalized_at"] = moment
    return parts


def receipt_keep_payload(receipt: FiscalReceipt, source: str, body: Any) -> None:
    """Add what ``source`` said about the receipt to its raw payloads (unsaved; the latest kept)."""
    payload = {
        "at": django_timezone.now().isoformat(),
        "source": source,
        "body": json_storable(body),
    }
    receipt.payloads = [*(receipt.payloads or []), payload][-_KEPT_PAYLOADS:]


def fiscal_receipt_fail(*, receipt: FiscalReceipt, message: str) -> FiscalReceipt:
    """The one place a receipt becomes ``failed``, and so where the ``fiscal_receipt.failed``
    alert is recorded (in the caller's transaction; Celery sends it). The caller holds the row;
    it is saved with the message and no further attempt."""
    newly_failed = receipt.status != ReceiptStatus.FAILED
    receipt.status = ReceiptStatus.FAILED
    receipt.error_message = message[:2000]
    receipt.next_attempt_at = None
    receipt.save()
    logger.warning(
        "fiscal receipt %s (%s %s of invoice %s) failed: %s",
        receipt.pk,
        receipt.provider,
        receipt.kind,
        receipt.invoice_id,
        message,
    )
    if newly_failed:
        alert_record(
            event="fiscal_receipt.failed",
            integration=receipt.transaction.integration,
            detail=f"{receipt.kind} receipt {receipt.pk} of invoice {receipt.invoice_id}: "
            f"{message}",
        )
    return receipt
