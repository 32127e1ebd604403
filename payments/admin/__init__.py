"""Admin screens for invoices (with their checkout links and QR codes, their fiscal receipts with
each receipt's QR, and cancel and refund actions that are also buttons), gateway transactions and
fiscal receipts (read-only history).

Django autodiscovers this package; importing ``invoices``, ``transactions`` and ``receipts``
registers the model admins. ``forms`` and ``actions`` hold what the invoice admin uses.
"""

from payments.admin.forms import PaymentInvoiceAddForm
from payments.admin.invoices import PaymentInvoiceAdmin
from payments.admin.receipts import FiscalReceiptAdmin
from payments.admin.transactions import PaymentTransactionAdmin, PaymentTransactionInline

__all__ = [
    "FiscalReceiptAdmin",
    "PaymentInvoiceAddForm",
    "PaymentInvoiceAdmin",
    "PaymentTransactionAdmin",
    "PaymentTransactionInline",
]
