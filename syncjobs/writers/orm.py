"""The ORM page writer, for databases other than PostgreSQL (SQLite for ``make run``).

A page's stored versions are read, the unchanged records marked seen, the new and changed ones
upserted in one ``bulk_create``; a batch the database refuses is written again row by row, so
only the records it cannot store fail.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from integrations.providers.base import VersionEntry
from syncjobs.models import SyncedRecord
from syncjobs.pages import Counts, PagePosition, Prepared

if TYPE_CHECKING:
    from syncjobs.writers.protocol import PageLedger

logger = logging.getLogger(__name__)


class _ReadWhole(Exception):
    """A version listing named a record not stored so: its marks are rolled back."""


class OrmWriter:
    def __init__(self, *, integration_id: Any, job_id: Any, ledger: PageLedger) -> None:
        self.integration_id = integration_id
        self.job_id = job_id
        self.ledger = ledger

    def start_entity(self, entity: str, *, has_stored: bool) -> None:
        """Every page is written the same way."""

    def after_page(self, created: int) -> None:
        """Nothing to do between pages."""

    def write_page(
        self, records: dict[str, Prepared], counts: Counts, position: PagePosition
    ) -> None:
        now = timezone.now()
        with transaction.atomic():
            self._write_page(position.entity, records, now, counts)
            self.ledger.settle_page(counts, position)

    def store_listing(
        self, entries: list[VersionEntry], field: str, counts: Counts, position: PagePosition
    ) -> bool:
        try:
            with transaction.atomic():
                marked = self.mark_listed(position.entity, field, entries, timezone.now())
                if len(marked) != len(entries):
                    raise _ReadWhole
                self.ledger.settle_page(counts, position)
        except _ReadWhole:
            return False
        return True

    def mark_listed(
        self, entity: str, field: str, entries: list[VersionEntry], now: datetime
    ) -> set[str]:
        """Mark seen the listed records stored with that version (the record's ``field``) and
        deletion mark; their keys. PostgreSQL's writer does it in its ``listing_page``."""
        if not entries:
            return set()
        listed = {key: (version, is_deleted) for key, version, is_deleted in entries}
        rows = SyncedRecord.objects.filter(
            integration_id=self.integration_id, entity=entity, external_id__in=list(listed)
        ).values_list("external_id", "data", "is_deleted")
        same = {
            key
            for key, data, is_deleted in rows
            if isinstance(data, dict) and listed[key] == (data.get(field), is_deleted)
        }
        self._mark_seen(entity, list(same), now)
        return same

    def _mark_seen(self, entity: str, keys: list[str], now: datetime) -> None:
        """Unchanged records were still seen by this sync, their ``last_synced_at`` and
        ``last_job_id`` move on; data and version stay as they are."""
        if keys:
            SyncedRecord.objects.filter(
                integration_id=self.integration_id, entity=entity, external_id__in=keys
            ).update(last_synced_at=now, last_job_id=self.job_id)

    def _write_page(
        self, entity: str, prepared: dict[str, Prepared], now: datetime, counts: Counts
    ) -> None:
        """Read the page's stored versions, then upsert the new and changed records in bulk."""
        existing = {
            external_id: (version, is_deleted)
            for external_id, version, is_deleted in SyncedRecord.objects.filter(
                integration_id=self.integration_id,
                entity=entity,
                external_id__in=list(prepared),
            ).values_list("external_id", "version", "is_deleted")
        }
        self._mark_seen(
            entity,
            [
                key
                for key, item in prepared.items()
                if existing.get(key) == (item.version, item.is_deleted)
            ],
            now,
        )
        to_write = [
            SyncedRecord(
                integration_id=self.integration_id,
                entity=entity,
                external_id=key,
                data=item.data,
                version=item.version,
                is_deleted=item.is_deleted,
                first_synced_at=now,
                last_synced_at=now,
                last_job_id=self.job_id,
            )
            for key, item in prepared.items()
            if existing.get(key) != (item.version, item.is_deleted)
        ]
        written = self._write(entity, to_write, counts)
        counts.created += sum(1 for key in written if key not in existing)
        counts.updated += sum(1 for key in written if key in existing)

    def _write(self, entity: str, rows: list[SyncedRecord], counts: Counts) -> list[str]:
        """Upsert ``rows`` in one statement; if the database refuses the batch, row by row, so
        only the records it cannot store fail. Returns the keys written."""
        if not rows:
            return []
        try:
            with transaction.atomic():
                self._upsert(rows)
            return [row.external_id for row in rows]
        except DatabaseError:
            logger.info("sync job %s: a batch was refused; writing row by row", self.job_id)
        written: list[str] = []
        for row in rows:
            try:
                with transaction.atomic():
                    self._upsert([row])
                written.append(row.external_id)
            except DatabaseError as error:
                message = f"The database refused the record: {str(error).splitlines()[0]}"
                self.ledger.record_failed(entity, row.external_id, message, counts)
        return written

    @staticmethod
    def _upsert(rows: list[SyncedRecord]) -> None:
        SyncedRecord.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["integration", "entity", "external_id"],
            update_fields=["data", "version", "is_deleted", "last_synced_at", "last_job"],
        )
