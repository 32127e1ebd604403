"""The PostgreSQL page writer: a page in a statement or two, set-based (see ``statements``).

A page goes in one go, without a savepoint around its write (a round trip per page): if the
database refuses it, the page's transaction is rolled back whole and the page is written the
next way (``WriteMode``): a first load's COPY straight into the table (a key stored since, as
when the source's pages shifted), then the staged upsert, then record by record, each in its
own savepoint, so only the records it cannot store fail.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from integrations.providers.base import VersionEntry
from syncjobs.models import SyncJobStatus
from syncjobs.pages import Counts, JobStopped, PagePosition, Prepared, WriteMode
from syncjobs.writers.statements import statements

if TYPE_CHECKING:
    from syncjobs.writers.protocol import PageLedger

logger = logging.getLogger(__name__)

# Rows a job adds before its first ANALYZE of the records' table (then 10×, 100×, …).
ANALYZE_FIRST_AT = 2_000

_JSON_LIST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_list(values: list[Any]) -> str:
    """A page's keys (or entries) as one JSON text for PostgreSQL to unpack: psycopg adapts a
    list of 1,000 strings to an array element by element in Python, far slower than this."""
    return _JSON_LIST.encode(values)


class _ReadWhole(Exception):
    """A version listing named a record not stored so: its marks are rolled back."""


class PostgresWriter:
    def __init__(self, *, integration_id: Any, job_id: Any, ledger: PageLedger) -> None:
        self.integration_id = integration_id
        self.job_id = job_id
        self.ledger = ledger
        self.sql = statements()
        self._analyze_at = ANALYZE_FIRST_AT
        # Mark unchanged records seen before upserting (see _write).
        self._seen_first = True
        # Nothing stored for the entity when it began: pages are COPYed straight in.
        self._first_load = False

    def start_entity(self, entity: str, *, has_stored: bool) -> None:
        # A first load has nothing to mark seen or to upsert: its pages are COPYed in.
        self._seen_first = has_stored
        self._first_load = not has_stored

    def write_page(
        self, records: dict[str, Prepared], counts: Counts, position: PagePosition
    ) -> None:
        entity = position.entity
        now = timezone.now()
        items = list(records.values())
        modes = (
            [WriteMode.NEW, WriteMode.UPSERT, WriteMode.CAREFUL]
            if self._first_load
            else [WriteMode.UPSERT, WriteMode.CAREFUL]
        )
        checkpoint, seen_first = self.ledger.checkpoint(entity), self._seen_first
        for mode in modes:
            attempt = replace(counts) if mode is not modes[-1] else counts
            try:
                with transaction.atomic():
                    self._write(entity, items, now, attempt, mode)
                    self.ledger.settle_page(attempt, position)
                return
            except DatabaseError:
                self.ledger.restore(entity, checkpoint)
                self._seen_first = seen_first
                if mode is modes[-1]:
                    raise
                if mode is WriteMode.NEW:
                    self._first_load = False
                logger.info("sync job %s: a %s write was refused", self.job_id, mode.value)

    def _write(
        self, entity: str, items: list[Prepared], now: datetime, counts: Counts, mode: WriteMode
    ) -> None:
        """Mark the page's stored records seen, then insert or update the new and changed ones.
        Which goes first follows the previous page: on a re-sync (mostly unchanged) marking
        first leaves little or nothing to send with bodies; on a first load (mostly new) the
        upsert first leaves nothing to mark but what it left alone. Both orders store and count
        the same."""
        if not items:
            return
        params = {
            "integration": self.integration_id,
            "entity": entity,
            "now": now,
            "job": self.job_id,
        }
        if mode is WriteMode.NEW:
            counts.created += self._copy_new(params, items)
            self._seen_first = False
            return
        unchanged = 0
        if self._seen_first:
            stored = self._mark_seen(params, [item.key for item in items])
            to_write = [i for i in items if stored.get(i.key) != (i.version, i.is_deleted)]
            unchanged = len(items) - len(to_write)
            items = to_write
        written: set[str] = set()
        if items:
            refused: set[str] = set()
            if mode is WriteMode.CAREFUL:
                created, written, refused = self._upsert_one_by_one(entity, params, items, counts)
            else:
                created, written = self._upsert_staged(params, items)
            counts.created += created
            counts.updated += len(written) - created
            # Stored already with this very version: unchanged, and seen.
            left = [i.key for i in items if i.key not in written and i.key not in refused]
            if left:
                self._mark_seen(params, left)
                unchanged += len(left)
        self._seen_first = unchanged >= len(written)

    def _mark_seen(self, params: dict[str, Any], keys: list[str]) -> dict[str, tuple[str, bool]]:
        """Mark the stored records of ``keys`` seen: {key: (stored version, deletion mark)}."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql.mark_seen, {**params, "keys": json_list(keys)})
            return {key: (version, deleted) for key, version, deleted in cursor.fetchall()}

    def _copy_new(self, params: dict[str, Any], items: list[Prepared]) -> int:
        """A first load's page COPYed straight into the table (ids from the column's default):
        the number of rows."""
        integration, entity = str(params["integration"]), params["entity"]
        now, job = params["now"].isoformat(), str(params["job"])
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(self.sql.copy_new) as copy,
        ):
            for i in items:
                copy.write_row(
                    (integration, entity, i.key, i.text, i.version, i.is_deleted, now, now, job)
                )
        return len(items)

    def _upsert_staged(self, params: dict[str, Any], items: list[Prepared]) -> tuple[int, set[str]]:
        """COPY the records into the staging table, upsert from it: (created, keys written)."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql.stage_prepare)
            # psycopg's COPY, below Django's cursor: its errors made Django's like the others.
            with connection.wrap_database_errors, cursor.cursor.copy(self.sql.stage_copy) as copy:
                for item in items:
                    copy.write_row((item.key, item.text, item.version, item.is_deleted))
            cursor.execute(self.sql.upsert_staged, params)
            rows = cursor.fetchall()
        return sum(1 for _, inserted in rows if inserted), {key for key, _ in rows}

    def _upsert_one_by_one(
        self, entity: str, params: dict[str, Any], items: list[Prepared], counts: Counts
    ) -> tuple[int, set[str], set[str]]:
        """(created, keys written, keys refused), each record in its own savepoint."""
        created = 0
        written: set[str] = set()
        refused: set[str] = set()
        for item in items:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        self.sql.upsert_one,
                        {
                            **params,
                            "key": item.key,
                            "data": item.text,
                            "version": item.version,
                            "deleted": item.is_deleted,
                        },
                    )
                    rows = cursor.fetchall()
            except DatabaseError as error:
                message = f"The database refused the record: {str(error).splitlines()[0]}"
                self.ledger.record_failed(entity, item.key, message, counts)
                refused.add(item.key)
                continue
            for key, inserted in rows:
                written.add(key)
                created += 1 if inserted else 0
        return created, written, refused

    def store_listing(
        self, entries: list[VersionEntry], field: str, counts: Counts, position: PagePosition
    ) -> bool:
        """The marks and the job's counts in one statement (``listing_page``)."""
        entity = position.entity
        checkpoint = self.ledger.checkpoint(entity)
        try:
            with transaction.atomic():
                fields = self.ledger.tally_page(counts, position)
                keys, versions, deleted = zip(*entries, strict=True) if entries else ((), (), ())
                params = {
                    "integration": self.integration_id,
                    "entity": entity,
                    "field": field,
                    "now": fields["updated_at"],
                    "job": self.job_id,
                    "keys": json_list(list(keys)),
                    "versions": json_list(list(versions)),
                    "deleted": json_list(list(deleted)),
                    **fields,
                    "metadata": json.dumps(fields["metadata"]),
                    "running": SyncJobStatus.RUNNING.value,
                    "expected": len(entries),
                }
                assert connection.connection is not None  # opened by the page's transaction
                with (
                    connection.wrap_database_errors,
                    psycopg.Cursor(connection.connection) as cursor,
                ):
                    cursor.execute(self.sql.listing_page, params)
                    row = cursor.fetchone()
                assert row is not None
                marked, saved = row
                if marked != len(entries):
                    raise _ReadWhole
                if not saved:
                    raise JobStopped
            return True
        except BaseException as error:  # nothing of the page stays: neither do its counts
            self.ledger.restore(entity, checkpoint)
            if isinstance(error, _ReadWhole):
                return False
            raise

    def after_page(self, created: int) -> None:
        """ANALYZE the records' table each time this job has added 10× more rows than at the
        last one.

        A first load takes the table from empty to (say) 100,000 rows inside one job, faster
        than autovacuum notices; with statistics of an empty table PostgreSQL reads each page's
        existing rows through the (integration, entity) prefix of the unique index and filters
        external ids row by row, so every page scans everything stored so far. A handful of
        ANALYZE runs per large load keeps the lookups on the index.
        """
        if created < self._analyze_at:
            return
        with connection.cursor() as cursor:
            cursor.execute(self.sql.analyze)
        self._analyze_at = created * 10
