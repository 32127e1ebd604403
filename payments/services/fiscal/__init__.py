"""Fiscal receipts (``gateways.md`` 5): Payme's pushed ones (``SetFiscalData``, ``payme``) and the
ones the hub makes through Click's merchant API after a Click payment (the queued OFD job,
``click_ofd``), over the records both share (``records``: URL and time formats, raw payloads,
``fiscal_receipt_fail``, the one place a receipt becomes ``failed``).
"""

from payments.services.fiscal.click_ofd import (
    click_receipt_items,
    fiscal_receipt_enqueue,
    fiscal_receipt_process,
    fiscal_receipt_queue_click,
    fiscal_receipt_sweep,
    vat_contained,
)
from payments.services.fiscal.payme import ReceiptTransactionNotFound, fiscal_receipt_store_payme
from payments.services.fiscal.records import (
    TASHKENT,
    fiscal_receipt_fail,
    fiscal_time,
    receipt_url_parts,
)

__all__ = [
    "TASHKENT",
    "ReceiptTransactionNotFound",
    "click_receipt_items",
    "fiscal_receipt_enqueue",
    "fiscal_receipt_fail",
    "fiscal_receipt_process",
    "fiscal_receipt_queue_click",
    "fiscal_receipt_store_payme",
    "fiscal_receipt_sweep",
    "fiscal_time",
    "receipt_url_parts",
    "vat_contained",
]
