"""Click fiscal receipts (``gateways.md`` 5.2): the hub makes the sale receipt of a Click payment
through Click's merchant API (``ofd_data``, ``submit_items``).

Click receipts are worked by a queued job, never inside a gateway's request. The row is the
truth, the Celery message only a wake-up call: a receipt is due when ``next_attempt_at`` has
passed, a worker claims it by pushing ``next_attempt_at`` a lease ahead, and the beat sweep
(``fiscal_receipt_sweep``) wakes whatever is due, so a lost message, a broker outage or a killed
worker delays a receipt but never loses it. Once a submission may have reached Click the row is
``submitted`` before the request goes out, and from then on Click is only read: a receipt is
never submitted twice for one payment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone as django_timezone

from integrations.config import IntegrationConfig
from payments.models import (
    FiscalReceipt,
    PaymentInvoice,
    PaymentProvider,
    PaymentTransaction,
    ReceiptKind,
    ReceiptStatus,
)
from payments.services.fiscal.records import (
    fiscal_receipt_fail,
    receipt_keep_payload,
    receipt_url_parts,
)

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
_NAME_LENGTH = 63
_SELF_WAKE_LIMIT = timedelta(seconds=60)


def vat_contained(price: int, rate: int) -> int:
    """The VAT inside a VAT-inclusive line total, tiyin, rounded half up:
    ``round_half_up(price × r / (100 + r))``."""
    if rate <= 0:
        return 0
    return (2 * price * rate + 100 + rate) // (2 * (100 + rate))


def click_receipt_items(*, items: list[dict[str, Any]], config: IntegrationConfig) -> list[Any]:
    """Invoice items as Click's ``Item`` objects (``gateways.md`` 5.2's table, PascalCase)."""
    commission = {"TIN": config.tin} if config.tin else {"PINFL": config.pinfl}
    lines = []
    for item in items:
        price, count, rate = int(item["price"]), int(item["count"]), int(item["vat_percent"])
        line: dict[str, Any] = {
            "Name": str(item["title"])[:_NAME_LENGTH],
            "SPIC": str(item["code"]),
            "PackageCode": str(item["package_code"]),
            "GoodPrice": price,
            "Price": price * count,
            "Amount": count,
            "VAT": vat_contained(price * count, rate),
            "VATPercent": rate,
        }
        if config.fiscal_units:
            units = config.fiscal_units
            line["Units"] = int(units) if units.isdigit() else units
        line["CommissionInfo"] = dict(commission)
        lines.append(line)
    return lines


def fiscal_receipt_enqueue(receipt_id: Any, *, countdown: float = 0) -> bool:
    """Wake a worker for the receipt; a broker that is down is logged, never raised (the row is
    due, and the sweep sends it later)."""
    # Local: the tasks module imports this one (the service and its Celery task, the one
    # import circle allowed; pyproject.toml's import contracts).
    from payments.tasks import fiscal_receipt_process_task

    try:
        fiscal_receipt_process_task.apply_async(args=(str(receipt_id),), countdown=countdown)
    except Exception:
        logger.warning("could not send fiscal receipt %s to the broker; the sweep will", receipt_id)
        return False
    return True


def fiscal_receipt_queue_click(
    *, payment: PaymentTransaction, invoice: PaymentInvoice
) -> FiscalReceipt | None:
    """Inside the transaction that made a Click payment final: the sale receipt row (pending,
    due now) when the invoice has items, and a wake-up message once that commits. A repeat finds
    the row and queues nothing new."""
    if not invoice.items or not payment.click_paydoc_id:
        return None
    existing = FiscalReceipt.objects.filter(transaction=payment, kind=ReceiptKind.SALE).first()
    if existing is not None:
        return existing
    wallet = (payment.account or {}).get("processing_type") == "WALLET"
    receipt = FiscalReceipt.objects.create(
        invoice=invoice,
        transaction=payment,
        provider=PaymentProvider.CLICK,
        kind=ReceiptKind.SALE,
        status=ReceiptStatus.PENDING,
        payment_id=payment.click_paydoc_id,
        total=payment.amount,
        received_card=0 if wallet else payment.amount,
        received_ecash=payment.amount if wallet else 0,
        received_cash=0,
        next_attempt_at=django_timezone.now(),
    )
    receipt_id = receipt.pk
    transaction.on_commit(lambda: fiscal_receipt_enqueue(receipt_id))
    return receipt


def _backoff(attempts: int) -> timedelta:
    base = float(settings.FISCAL_RETRY_BASE_SECONDS)
    return timedelta(seconds=min(base * (2 ** max(0, attempts - 1)), MAX_BACKOFF_SECONDS))


def _claim(receipt_id: Any, *, force: bool) -> FiscalReceipt | None:
    """Take a due Click receipt: push ``next_attempt_at`` a lease ahead, so no other worker works
    on it meanwhile, and a killed worker's claim runs out for the sweep to hand on."""
    now = django_timezone.now()
    with transaction.atomic():
        queryset = FiscalReceipt.objects.select_for_update(skip_locked=True).filter(
            pk=receipt_id,
            provider=PaymentProvider.CLICK,
            status__in=(ReceiptStatus.PENDING, ReceiptStatus.SUBMITTED),
        )
        if not force:
            queryset = queryset.filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
            )
        receipt = queryset.select_related("transaction__integration", "invoice").first()
        if receipt is None:
            return None
        receipt.next_attempt_at = now + timedelta(seconds=settings.FISCAL_LEASE_SECONDS)
        receipt.save(update_fields=["next_attempt_at", "updated_at"])
    return receipt


def _save(receipt: FiscalReceipt, **changes: Any) -> FiscalReceipt:
    for name, value in changes.items():
        setattr(receipt, name, value)
    receipt.save()
    return receipt


def _fiscalized(receipt: FiscalReceipt, url: str, body: Any) -> FiscalReceipt:
    parts = receipt_url_parts(url)
    receipt_keep_payload(receipt, "ofd_data", body)
    return _save(
        receipt,
        status=ReceiptStatus.FISCALIZED,
        qr_code_url=url,
        receipt_id=parts.get("receipt_id", ""),
        terminal_id=parts.get("terminal_id", ""),
        fiscal_sign=parts.get("fiscal_sign", ""),
        fiscalized_at=parts.get("fiscalized_at") or django_timezone.now(),
        provider_status_code=0,
        error_message="",
        last_error="",
        next_attempt_at=None,
    )


def _retry_later(receipt: FiscalReceipt, error: str) -> FiscalReceipt:
    """One more failed try: due again after the backoff, or failed once the attempts are spent."""
    receipt.attempts += 1
    receipt.last_error = error[:2000]
    limit = receipt.transaction.integration.typed_config.fiscal_attempts
    if receipt.attempts >= limit:
        return fiscal_receipt_fail(
            receipt=receipt, message=f"No receipt after {receipt.attempts} attempts: {error}"
        )
    wait = _backoff(receipt.attempts)
    receipt.next_attempt_at = django_timezone.now() + wait
    receipt.save()
    if wait <= _SELF_WAKE_LIMIT:
        # A short wait gets its own delayed wake-up; longer ones (and a lost message) are the
        # sweep's, which never holds a message for hours in the broker.
        fiscal_receipt_enqueue(receipt.pk, countdown=wait.total_seconds())
    return receipt


@dataclass
class _Read:
    """What ``ofd_data`` said: the receipt URL, or why there is none; ``answered`` is False
    when Click gave no usable answer (whether it holds a receipt is then unknown)."""

    url: str | None
    body: Any
    answered: bool
    error: str


def _read(client: Any, receipt: FiscalReceipt) -> _Read:
    from payments.click_merchant import ClickMerchantNoAnswer

    try:
        answer = client.ofd_data(payment_id=receipt.payment_id)
    except ClickMerchantNoAnswer as error:
        return _Read(None, None, False, f"ofd_data: {error}")
    url = answer.body.get("qrCodeURL")
    if isinstance(url, str) and url.strip():
        url = url.strip()
        if not url.lower().startswith(("https://", "http://")) or len(url) > 2000:
            # Shown as a link in the admin: only a web address is a receipt (as for Payme's).
            return _Read(None, answer.body, False, "ofd_data: qrCodeURL is not a web address")
        return _Read(url, answer.body, True, "")
    if answer.refused:
        return _Read(None, answer.body, True, f"ofd_data: {answer.error_code}: {answer.error_note}")
    return _Read(None, answer.body, True, "ofd_data: no receipt yet")


def fiscal_receipt_process(*, receipt_id: Any, force: bool = False) -> FiscalReceipt | None:
    """One try at a Click receipt (what the task runs): read ``ofd_data``; when Click has no
    receipt and nothing was submitted, submit the items (marked ``submitted`` first), then read
    again. None when the receipt is not due, already done, or another worker holds it."""
    from payments.click_merchant import ClickMerchantClient, ClickMerchantNoAnswer

    receipt = _claim(receipt_id, force=force)
    if receipt is None:
        return None
    payment = receipt.transaction
    client = ClickMerchantClient(payment.integration)
    read = _read(client, receipt)
    if read.url:
        return _fiscalized(receipt, read.url, read.body)
    if receipt.status == ReceiptStatus.SUBMITTED or not read.answered:
        # Submitted before: only read. No answer: whether Click holds a receipt is unknown.
        error = read.error
        if receipt.status == ReceiptStatus.SUBMITTED and receipt.provider_status_code:
            error = f"{error} (submit_items was refused: {receipt.provider_status_code})"
        return _retry_later(receipt, error)
    config = payment.integration.typed_config
    if not (config.tin or config.pinfl):
        return _retry_later(receipt, "config.tin or config.pinfl must be set for Click receipts")
    lines = click_receipt_items(items=receipt.invoice.items, config=config)
    # From here Click may hold the receipt: recorded before the request leaves, so a crash
    # mid-call is settled by reading, never by a second submission.
    _save(receipt, status=ReceiptStatus.SUBMITTED, lines=lines)
    try:
        answer = client.ofd_submit_items(
            payment_id=receipt.payment_id or 0,
            items=lines,
            received_card=receipt.received_card,
            received_ecash=receipt.received_ecash,
            received_cash=receipt.received_cash,
        )
    except ClickMerchantNoAnswer as no_answer:
        receipt_keep_payload(receipt, "submit_items", {"no_answer": str(no_answer)})
        receipt.save()
    else:
        receipt_keep_payload(receipt, "submit_items", answer.body)
        receipt.provider_status_code = answer.error_code
        receipt.save()
        if answer.refused:
            # Click said no. It stays submitted all the same: the contract allows one submission
            # per payment, and Click's codes do not say that nothing was registered; later tries
            # read ofd_data until the attempts are spent (then failed, an operator looks).
            return _retry_later(receipt, f"submit_items: {answer.error_code}: {answer.error_note}")
    read = _read(client, receipt)
    if read.url:
        return _fiscalized(receipt, read.url, read.body)
    # Submitted: read again soon (Click builds the receipt in seconds); counted as a try.
    return _retry_later(receipt, read.error)


def fiscal_receipt_sweep(*, limit: int = 200) -> int:
    """Wake a worker for each Click receipt that is due (a message lost with a broker or a
    worker, a retry's time come); the number sent. What beat runs every few seconds."""
    due = list(
        FiscalReceipt.objects.filter(
            provider=PaymentProvider.CLICK,
            status__in=(ReceiptStatus.PENDING, ReceiptStatus.SUBMITTED),
            next_attempt_at__lte=django_timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for receipt_id in due:
        if not fiscal_receipt_enqueue(receipt_id):
            break
        sent += 1
    return sent
