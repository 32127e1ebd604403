"""Payments on the dashboard: the day's transactions by gateway and state, and the sale receipts
not fiscalized yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum
from django.utils import timezone

from payments.models import PaymentTransaction, TransactionState


@dataclass
class PaymentLine:
    provider: str
    state: int
    state_label: str
    count: int
    amount: int  # tiyin


def payments_of_the_day(*, now: datetime) -> list[PaymentLine]:
    """Payment transactions created since local midnight, by gateway and state (the
    ``created_at`` index)."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        PaymentTransaction.objects.filter(created_at__gte=midnight)
        .values("provider", "state")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("provider", "state")
    )
    labels = dict(TransactionState.choices)
    return [
        PaymentLine(
            provider=row["provider"],
            state=row["state"],
            state_label=str(labels.get(row["state"], row["state"])),
            count=row["count"],
            amount=row["amount"] or 0,
        )
        for row in rows
    ]


def sales_not_fiscalized_counts() -> dict[str, int]:
    from payments.selectors import fiscal_receipt_counts

    return fiscal_receipt_counts()
