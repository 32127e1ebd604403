"""PaymentInvoice (what a customer pays) and PaymentTransaction (one gateway's attempt to pay it).

Amounts are integers in tiyin (1 soum = 100 tiyin) and gateway times integers in milliseconds
since the epoch, as Payme and Click speak them: no float ever holds money or a time here.

Transaction states (Payme's numbering, also used for Click) and the allowed transitions, made only
in ``payments.services`` with the invoice row locked (``select_for_update``):

    (none) -> 1    created: Payme CreateTransaction, Click Prepare
    1      -> 2    performed: Payme PerformTransaction, Click Complete, Uzum /confirm; the invoice
                   becomes paid
    1      -> -1   cancelled before perform (Payme cancel or 12 h timeout, Click error, the
                   invoice cancelled, Uzum /reverse or its 30 min timeout); the invoice stays
                   pending
    2      -> -2   cancelled after perform (Payme refund, Uzum /reverse); the invoice becomes
                   refunded

Invoice statuses: pending -> paid -> refunded; pending -> cancelled (the API, the admin, or the
expiry sweep). At most one transaction per invoice is active (state 1 or 2): a partial unique
index says so, so two gateways or two requests can never both hold the invoice.
"""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from integrations.models import Integration, TimestampedModel

# No whitespace, ';' or '=' (they separate the fields of Payme's checkout parameter).
ORDER_ID_PATTERN = r"^[^\s;=]{1,128}$"
order_id_validator = RegexValidator(
    ORDER_ID_PATTERN, "Use 1 to 128 characters without spaces, ';' or '='."
)
# The largest amount accepted (tiyin): 10^15 tiyin is 10 trillion soums, far beyond any order,
# and well inside PostgreSQL's bigint.
MAX_AMOUNT = 10**15
CURRENCY = "UZS"


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"


class TransactionState(models.IntegerChoices):
    CREATED = 1, "Created"
    PERFORMED = 2, "Performed"
    CANCELLED = -1, "Cancelled"
    CANCELLED_AFTER_PERFORM = -2, "Cancelled after perform"


ACTIVE_STATES = (TransactionState.CREATED, TransactionState.PERFORMED)


class CancelReason(models.IntegerChoices):
    RECEIVERS_NOT_FOUND = 1, "Receivers not found"
    PROCESSING_FAILED = 2, "Processing failed"
    EXECUTION_FAILED = 3, "Execution failed"
    TIMEOUT = 4, "Timeout"
    REFUND = 5, "Refund"
    UNKNOWN = 10, "Unknown"


class PaymentProvider(models.TextChoices):
    PAYME = "payme", "Payme"
    CLICK = "click", "Click"
    PAYNET = "paynet", "Paynet"
    UZUM = "uzum", "Uzum Bank"


class PaymentInvoice(TimestampedModel):
    order_id = models.CharField(max_length=128, unique=True, validators=[order_id_validator])
    amount = models.BigIntegerField(help_text="In tiyin (1 soum = 100 tiyin).")
    currency = models.CharField(max_length=3, default=CURRENCY, editable=False)
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.PENDING
    )
    description = models.TextField(blank=True, default="")
    # Fiscal receipt lines: [{title, price, count, code, package_code, vat_percent}].
    items = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # The gateway and its transaction id that paid the invoice.
    provider = models.CharField(
        max_length=16, choices=PaymentProvider.choices, blank=True, null=True
    )
    provider_transaction_id = models.CharField(max_length=64, blank=True, null=True)

    class Meta:
        db_table = "payment_invoices"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, amount__lte=MAX_AMOUNT),
                name="payment_invoices_amount_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="payinv_status_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.status})"


class PaymentTransaction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="payment_transactions"
    )
    provider = models.CharField(max_length=16, choices=PaymentProvider.choices)
    # Payme's transaction id; Click's click_trans_id; Paynet's transactionId.
    provider_transaction_id = models.CharField(max_length=64)
    invoice = models.ForeignKey(
        PaymentInvoice, on_delete=models.PROTECT, related_name="transactions"
    )
    amount = models.BigIntegerField(help_text="In tiyin.")
    state = models.SmallIntegerField(choices=TransactionState.choices)
    # Milliseconds since the epoch; 0 while not yet.
    create_time = models.BigIntegerField(default=0)
    perform_time = models.BigIntegerField(default=0)
    cancel_time = models.BigIntegerField(default=0)
    reason = models.SmallIntegerField(choices=CancelReason.choices, null=True, blank=True)
    # Payme: the gateway's own time of the transaction (ms), which GetStatement filters on.
    time = models.BigIntegerField(null=True, blank=True)
    account = models.JSONField(default=dict, blank=True)
    # Click: its payment document, our prepare id (an integer it sends back on Complete), and the
    # confirm id we answered Complete with; the last error Click reported.
    click_paydoc_id = models.BigIntegerField(null=True, blank=True)
    merchant_prepare_id = models.BigIntegerField(null=True, blank=True, unique=True)
    merchant_confirm_id = models.BigIntegerField(null=True, blank=True)
    error_note = models.TextField(blank=True, default="")
    # Paynet: the providerTrnId we answered with, minted from PAYNET_TRN_SEQUENCE (never reused).
    provider_trn_id = models.BigIntegerField(null=True, blank=True, unique=True)
    # What a gateway reports about the payment beyond the common columns, verbatim: Uzum's
    # /confirm extras (paymentSource, tariff, processingReferenceNumber, phone, cardType).
    provider_details = models.JSONField(default=dict, blank=True)
    # Click Pass: a charge the hub made through Click's merchant API (its payment_id is both
    # provider_transaction_id and click_paydoc_id once known), the machine's cash desk, and when
    # the worker next asks Click about a charge still in flight.
    click_pass = models.BooleanField(default=False)
    cashbox_code = models.CharField(max_length=64, blank=True, default="")
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payment_transactions"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_transaction_id"],
                name="payment_transactions_unique_provider_id",
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(state__in=[1, 2]),
                name="payment_transactions_one_active_per_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "time"], name="paytx_integration_time_idx"),
            models.Index(fields=["state"], name="paytx_state_idx"),
            models.Index(
                fields=["next_check_at"],
                condition=Q(click_pass=True, state=1),
                name="paytx_click_pass_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_transaction_id} (state {self.state})"


# The PostgreSQL sequence Paynet's providerTrnId is taken from (created by a migration); SQLite,
# which has no sequences, counts in PaymentCounter under the same name instead.
PAYNET_TRN_SEQUENCE = "payment_paynet_trn_id_seq"


class PaymentCounter(models.Model):
    """A named counter for the integer ids Click wants from us (``merchant_prepare_id``). Taken
    with an UPDATE that row-locks the counter until the taking transaction commits, so two
    requests can never get the same number, on PostgreSQL and SQLite alike."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "payment_counters"

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


class ReceiptKind(models.TextChoices):
    SALE = "sale", "Sale"
    REFUND = "refund", "Refund"


class ReceiptStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUBMITTED = "submitted", "Submitted"
    FISCALIZED = "fiscalized", "Fiscalized"
    FAILED = "failed", "Failed"


class FiscalReceipt(TimestampedModel):
    """The fiscal receipt of one transaction's sale or refund (``gateways.md`` 5.4).

    Payme pushes its receipts (``SetFiscalData``); Click's are made by the hub through Click's
    merchant API by a queued job. For those the row is the truth and the queue a wake-up call:
    ``status`` pending (nothing sent yet) -> submitted (Click may have it: from then on only
    read) -> fiscalized, or failed after ``config.fiscal_attempts`` tries; ``next_attempt_at``
    is when a worker next works on it (the beat sweep re-drives rows a lost message left)."""

    invoice = models.ForeignKey(
        PaymentInvoice, on_delete=models.PROTECT, related_name="fiscal_receipts"
    )
    transaction = models.ForeignKey(
        PaymentTransaction, on_delete=models.PROTECT, related_name="fiscal_receipts"
    )
    provider = models.CharField(max_length=16, choices=PaymentProvider.choices)
    kind = models.CharField(max_length=8, choices=ReceiptKind.choices)
    status = models.CharField(
        max_length=16, choices=ReceiptStatus.choices, default=ReceiptStatus.PENDING
    )
    receipt_id = models.CharField(max_length=64, blank=True, default="")
    terminal_id = models.CharField(max_length=32, blank=True, default="")
    fiscal_sign = models.CharField(max_length=64, blank=True, default="")
    qr_code_url = models.TextField(blank=True, default="")
    fiscalized_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    # Kept beside the contract's fields: the provider's status code, what was sent (lines with
    # VAT amounts, the total and the card / e-cash / cash split, in tiyin), every raw payload
    # (latest last), the Click payment it fiscalizes, and the retry bookkeeping.
    provider_status_code = models.IntegerField(null=True, blank=True)
    lines = models.JSONField(default=list, blank=True)
    total = models.BigIntegerField(default=0, help_text="In tiyin.")
    received_card = models.BigIntegerField(default=0)
    received_ecash = models.BigIntegerField(default=0)
    received_cash = models.BigIntegerField(default=0)
    payloads = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    payment_id = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "fiscal_receipts"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction", "kind"], name="fiscal_receipts_one_per_transaction_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="fiscal_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} receipt ({self.status})"
