"""Deleting old rows a batch at a time, so no statement holds locks for long.

Each batch is one short transaction: read up to ``batch_size`` ids (oldest first, through the
``created_at`` index), then delete exactly those ids that still match the filter, so a row that
changed in between (a webhook sent back to ``pending`` by a retry) is kept. Other writers never
wait for more than one batch, and an interrupted run leaves only whole batches deleted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import models, transaction

DEFAULT_BATCH_SIZE = 1000


@dataclass
class PurgeReport:
    deleted: int = 0
    batches: int = 0
    seconds: float = 0.0


def delete_in_batches(
    queryset: models.QuerySet, *, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False
) -> PurgeReport:
    """Delete every row of ``queryset`` in batches of ``batch_size`` ids; with ``dry_run`` only
    count them. The queryset's model must have no rows pointing at it that cascade."""
    started = time.monotonic()
    report = PurgeReport()
    if dry_run:
        report.deleted = queryset.count()
        report.seconds = time.monotonic() - started
        return report
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("created_at").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            deleted, _ = queryset.filter(pk__in=ids).delete()
        report.deleted += deleted
        report.batches += 1
        if len(ids) < batch_size:
            break
    report.seconds = time.monotonic() - started
    return report
