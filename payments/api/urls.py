"""Routes of the payments API: invoices (with cancel, refund, checkout, QR, Click Pass),
transactions and fiscal receipts."""

from core.api.routers import OptionalSlashRouter
from payments.api.views import (
    FiscalReceiptViewSet,
    PaymentInvoiceViewSet,
    PaymentTransactionViewSet,
)

router = OptionalSlashRouter()
router.register("payment-invoices", PaymentInvoiceViewSet, basename="payment-invoice")
router.register("payment-transactions", PaymentTransactionViewSet, basename="payment-transaction")
router.register("fiscal-receipts", FiscalReceiptViewSet, basename="fiscal-receipt")

urlpatterns = router.urls
