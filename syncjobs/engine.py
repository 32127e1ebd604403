"""The sync engine: runs one claimed job, entity by entity, page by page.

Memory stays bounded by one page: a page is read, written with one bulk upsert, counted, and
dropped before the next is requested. Each page is written in one transaction together with the
job's counters, and committed only if that update of the job's row finds it still running (the
update locks the row); so a cancel takes effect at the next page, and what the job reports is
exactly what it stored.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import psycopg
import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from integrations.http import IntegrationHttpClient
from integrations.models import IntegrationStatus
from integrations.providers import provider_for
from integrations.providers.base import (
    Provider,
    SyncContext,
    SyncSourceError,
    VersionEntry,
    VersionListing,
    canonical_json,
)
from integrations.redaction import redact
from integrations.services import integration_secret_values
from syncjobs.heartbeat import JobHeartbeat
from syncjobs.models import SyncedRecord, SyncJob, SyncJobStatus
from syncjobs.prefetch import prefetch_possible, prefetched
from syncjobs.services import sync_job_complete, sync_job_fail, sync_job_start

logger = logging.getLogger(__name__)
events = structlog.get_logger(__name__)

MAX_KEPT_ERRORS = 100
MAX_EXTERNAL_ID_LENGTH = 255
# While a page is being fetched (retries, Retry-After waits) the job still proves it is alive.
HEARTBEAT_EVERY_SECONDS = 30.0
# Rows a job adds before its first ANALYZE of synced_records (then 10×, 100×, …).
ANALYZE_FIRST_AT = 2_000
# Version listings in a row that each needed their page read whole, before whole pages only.
LISTING_MISSES_BEFORE_WHOLE_PAGES = 3


# PostgreSQL writes a page in at most two statements, set-based, each record found through the
# unique index (an ``= ANY`` probe or the upsert's conflict check):
# - MARK_SEEN: the page's stored records get this job's ``last_synced_at``/``last_job_id`` (two
#   narrow columns, none indexed: a HOT update); RETURNING gives their stored version and
#   deletion mark, so the engine knows which are unchanged. Only keys are sent, no bodies.
# - UPSERT_STAGED: the new and changed records, COPYed into a temporary table, are inserted or,
#   when the version or deletion mark differs, updated; RETURNING names the rows written,
#   ``xmax = 0`` those it inserted.
MARK_SEEN = """
UPDATE synced_records SET last_synced_at = %(now)s, last_job_id = %(job)s
WHERE integration_id = %(integration)s AND entity = %(entity)s
    AND external_id = ANY(ARRAY(SELECT jsonb_array_elements_text(%(keys)s::jsonb)))
RETURNING external_id, version, is_deleted
"""

# The page's staging table: one per database session, emptied at each commit (and before each
# use, for a caller that holds one transaction over several pages). Created in the page's own
# transaction, so it also works through a pooler that hands out a session per transaction.
STAGE_PREPARE = """
SET LOCAL client_min_messages TO warning;
CREATE TEMPORARY TABLE IF NOT EXISTS sync_page_stage
    (key text, data jsonb, version text, deleted boolean) ON COMMIT DELETE ROWS;
DELETE FROM sync_page_stage
"""

STAGE_COPY = "COPY sync_page_stage (key, data, version, deleted) FROM STDIN"

# A first load (nothing stored for the entity when the job began): pages go straight into the
# table, the ids from its default (migration 0005). A key stored since makes the page refused
# by the unique constraint; it is then upserted as any other.
COPY_NEW = """COPY synced_records (integration_id, entity, external_id, data, version, is_deleted,
    first_synced_at, last_synced_at, last_job_id) FROM STDIN"""

_UPSERT_TAIL = """
ON CONFLICT (integration_id, entity, external_id) DO UPDATE
SET data = EXCLUDED.data, version = EXCLUDED.version, is_deleted = EXCLUDED.is_deleted,
    last_synced_at = EXCLUDED.last_synced_at, last_job_id = EXCLUDED.last_job_id
WHERE stored.version IS DISTINCT FROM EXCLUDED.version
    OR stored.is_deleted IS DISTINCT FROM EXCLUDED.is_deleted
RETURNING stored.external_id, (stored.xmax = 0)
"""

UPSERT_STAGED = (
    """
INSERT INTO synced_records AS stored (id, integration_id, entity, external_id, data, version,
    is_deleted, first_synced_at, last_synced_at, last_job_id)
SELECT gen_random_uuid(), %(integration)s, %(entity)s, page.key, page.data, page.version,
    page.deleted, %(now)s, %(now)s, %(job)s
FROM sync_page_stage AS page
"""
    + _UPSERT_TAIL
)

# A version listing: its records stored with the listed version (the record's ``field``) and
# deletion mark are seen by this job; RETURNING names them. Keys, versions and marks come as
# three JSON arrays, unpacked side by side.
MARK_LISTED = """
UPDATE synced_records AS stored SET last_synced_at = %(now)s, last_job_id = %(job)s
FROM ROWS FROM (
    jsonb_array_elements_text(%(keys)s::jsonb),
    jsonb_array_elements_text(%(versions)s::jsonb),
    jsonb_array_elements(%(deleted)s::jsonb)
) AS page(key, version, deleted)
WHERE stored.integration_id = %(integration)s AND stored.entity = %(entity)s
    AND stored.external_id = page.key
    AND stored.data ->> %(field)s = page.version AND stored.is_deleted = page.deleted::boolean
RETURNING stored.external_id
"""

# A version listing's page in one statement: the marks, and the job's counts saved only if every
# listed record was marked (``expected``) and the job is still running; that page's commit is
# then not flushed to disk at once (it holds marks and counts only: a crash may lose the last of
# them, never half of one). Answers (records marked, job rows updated).
LISTING_PAGE = (  # constants only: parameters are bound
    "WITH marked AS ("  # noqa: S608
    + MARK_LISTED
    + """),
job AS (
    UPDATE sync_jobs SET records_processed = %(records_processed)s,
        records_created = %(records_created)s, records_updated = %(records_updated)s,
        records_failed = %(records_failed)s, metadata = %(metadata)s::jsonb,
        updated_at = %(updated_at)s
    WHERE id = %(job)s AND status = %(running)s AND (SELECT count(*) FROM marked) = %(expected)s
    RETURNING set_config('synchronous_commit', 'off', true)
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM job)
"""
)

# One record, when the database refused a page and it is written row by row.
UPSERT_ONE = (
    """
INSERT INTO synced_records AS stored (id, integration_id, entity, external_id, data, version,
    is_deleted, first_synced_at, last_synced_at, last_job_id)
VALUES (gen_random_uuid(), %(integration)s, %(entity)s, %(key)s, %(data)s::jsonb, %(version)s,
    %(deleted)s, %(now)s, %(now)s, %(job)s)
"""
    + _UPSERT_TAIL
)


_JSON_LIST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_list(values: list[Any]) -> str:
    """A page's keys (or entries) as one JSON text for PostgreSQL to unpack: psycopg adapts a
    list of 1,000 strings to an array element by element in Python, far slower than this."""
    return _JSON_LIST.encode(values)


class JobStopped(Exception):
    """The job left ``running`` (cancelled, or failed by the sweeper) while it ran."""


class _ReadWhole(Exception):
    """A version listing named a record not stored so: its marks are rolled back."""


@dataclass
class Counts:
    processed: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0

    def add(self, other: Counts) -> None:
        self.processed += other.processed
        self.created += other.created
        self.updated += other.updated
        self.failed += other.failed


@dataclass(slots=True)
class Prepared:
    key: str
    data: Any
    text: str  # the record's canonical JSON, what PostgreSQL is sent
    version: str
    is_deleted: bool


def sync_job_execute(*, job_id: Any) -> SyncJob | None:
    """Claim the job (pending → running) and run it to an end state. None if not claimable."""
    job = sync_job_start(job_id=job_id)
    if job is None:
        logger.info("sync job %s is not pending; nothing to do", job_id)
        return None
    with JobHeartbeat(job.pk):
        SyncRun(job).run()
    job.refresh_from_db()
    return job


class SyncRun:
    def __init__(self, job: SyncJob) -> None:
        self.job = job
        self.integration = job.integration
        self.total = Counts()
        self.entity_counts: dict[str, Counts] = {}
        self.errors: list[dict[str, Any]] = []
        self.metadata: dict[str, Any] = dict(job.metadata or {})
        self._last_heartbeat = time.monotonic()
        self._analyze_at = ANALYZE_FIRST_AT
        # PostgreSQL writer: mark unchanged records seen before upserting (see _write_changed).
        self._seen_first = True
        # Version listings in a row that needed the page read whole; a client for those reads.
        self._listing_misses = 0
        self._own_client: IntegrationHttpClient | None = None
        # Nothing stored for the entity when it began: pages are COPYed straight in.
        self._first_load = False

    def run(self) -> None:
        with structlog.contextvars.bound_contextvars(
            job_id=str(self.job.pk), integration=self.integration.code
        ):
            events.info("sync_job_started", job_type=self.job.job_type)
            self._run_and_record()
            status = SyncJob.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
            events.info(
                "sync_job_finished",
                job_status=status,
                records_processed=self.total.processed,
                records_failed=self.total.failed,
            )

    def _run_and_record(self) -> None:
        try:
            self._run()
        except JobStopped:
            logger.info("sync job %s stopped: no longer running", self.job.pk)
        except SyncSourceError as error:
            self._fail(str(error))
        except SoftTimeLimitExceeded:
            self._fail("The job ran out of time (the task's time limit).")
        except Exception as error:
            logger.exception("sync job %s crashed", self.job.pk)
            self._fail(f"Internal error: {type(error).__name__}: {error}")
        finally:
            if self._own_client is not None:  # its pooled connections end with the job
                self._own_client.session.close()

    def _run(self) -> None:
        integration = self.integration
        if integration.is_deleted or integration.status == IntegrationStatus.INACTIVE:
            raise SyncSourceError("The integration was deactivated or deleted before the job ran.")
        provider = provider_for(integration)
        if provider is None or not provider.can_sync:
            raise SyncSourceError(f"Provider {integration.provider!r} has no sync connector.")
        mapping = integration.typed_config.mapping
        entities = [e for e in self.metadata.get("entities_requested") or mapping if e in mapping]
        if not entities:
            raise SyncSourceError("config.mapping names no entity to sync.")
        client = IntegrationHttpClient(integration, log_metadata={"sync_job_id": str(self.job.pk)})
        # The pages are read one ahead in a thread of their own (syncjobs.prefetch): its check
        # between retries only reads the job's status; the heartbeat stays with the engine.
        should_stop = self._cancelled if prefetch_possible() else self._should_stop
        context = SyncContext(integration=integration, client=client, should_stop=should_stop)
        for index, entity in enumerate(entities, start=1):
            self.entity_counts[entity] = Counts()
            stored = SyncedRecord.objects.filter(integration_id=integration.pk, entity=entity)
            has_stored = stored.exists()
            # A first load has nothing to mark seen or to upsert: its pages are COPYed in.
            self._seen_first = has_stored
            self._first_load = not has_stored
            page_number = 0
            self._progress(entity, index, len(entities), page_number)
            # On a re-sync a provider that can may list versions first (VersionListing).
            entity_context = replace(
                context,
                list_versions=has_stored and provider.version_field is not None,
                whole_pages=threading.Event(),
            )
            self._listing_misses = 0
            source = mapping[entity]
            pages = provider.pages(entity_context, entity=entity, source=source)
            for page in prefetched(pages):
                page_number += 1
                where = (entity, index, len(entities), page_number)
                if isinstance(page, VersionListing):
                    if self._store_listing(provider, page, entity_context, where):
                        continue
                    listed = page
                    page = provider.read_page(
                        self._reading_context(entity_context),
                        entity=entity,
                        source=source,
                        skip=page.skip,
                    )
                    self._check_shift(provider, listed, page, entity_context)
                self._store_page(provider, entity, page, index, len(entities), page_number)
                self._refresh_statistics()
            self._progress(entity, index, len(entities), page_number, entity_done=True)
        self.metadata["progress"] = {
            **self.metadata.get("progress", {}),
            "percent": 100,
            "message": f"Done: {self.total.processed} records read",
        }
        self._save_metadata_fields()
        sync_job_complete(job=self.job, metadata=self._final_metadata())

    def _reading_context(self, context: SyncContext) -> SyncContext:
        """For reading a listed page whole here, while the prefetch thread uses its client."""
        if self._own_client is None:
            self._own_client = IntegrationHttpClient(
                self.integration, log_metadata={"sync_job_id": str(self.job.pk)}
            )
        return replace(context, client=self._own_client, should_stop=self._should_stop)

    def _check_shift(
        self, provider: Provider, listed: VersionListing, page: list[Any], context: SyncContext
    ) -> None:
        """A listed key missing from the page read whole: the source's pages shifted between the
        two reads (a record added before them), while the next listing was already read. Whole
        pages from here on, which reread in order; the records shifted out stay as stored until
        the next sync (as a deletion at the source does to any $skip paging)."""
        if listed.entries is None:
            return
        key_field = provider.key_field(self.integration)
        whole = {
            provider.record_key(self.integration, record, key_field=key_field)
            for record in page
            if isinstance(record, dict)
        }
        if any(key not in whole for key, _, _ in listed.entries):
            logger.warning("sync job %s: the source's pages moved while read", self.job.pk)
            context.whole_pages.set()

    def _store_listing(
        self,
        provider: Provider,
        listing: VersionListing,
        context: SyncContext,
        where: tuple[str, int, int, int],
    ) -> bool:
        """A version listing whose every record is stored so: marked seen and counted read, in
        the page's transaction (True). Otherwise nothing is kept (False): the caller reads the
        page whole. Listings that keep missing mean a source mostly changed: whole pages then."""
        entity = where[0]
        field = provider.version_field
        if listing.entries is not None and field is not None:
            counts = Counts(processed=listing.count)
            try:
                with transaction.atomic():
                    if connection.vendor == "postgresql":
                        self._listing_page(listing.entries, field, counts, where)
                    else:
                        marked = self._mark_listed(entity, field, listing.entries, timezone.now())
                        if len(marked) != len(listing.entries):
                            raise _ReadWhole
                        self._finish_page(counts, *where, len(self.errors))
                self._listing_misses = 0
                return True
            except _ReadWhole:
                pass
        self._listing_misses += 1
        if self._listing_misses >= LISTING_MISSES_BEFORE_WHOLE_PAGES:
            context.whole_pages.set()
        return False

    def _listing_page(
        self,
        entries: list[VersionEntry],
        field: str,
        counts: Counts,
        where: tuple[str, int, int, int],
    ) -> None:
        """PostgreSQL, in the page's transaction: LISTING_PAGE. _ReadWhole when a listed record
        is not stored so, JobStopped when the job is no longer running."""
        entity, index, entity_total, page_number = where
        before = (replace(self.total), replace(self.entity_counts[entity]))
        self.total.add(counts)
        self.entity_counts[entity].add(counts)
        self._progress(entity, index, entity_total, page_number, save=False)
        fields = self._job_fields()
        params = {
            **self._listing_params(entity, field, entries, fields["updated_at"]),
            **fields,
            "metadata": json.dumps(fields["metadata"]),
            "running": SyncJobStatus.RUNNING.value,
            "expected": len(entries),
        }
        assert connection.connection is not None  # opened by the page's transaction
        try:
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(LISTING_PAGE, params)
                row = cursor.fetchone()
            assert row is not None
            marked, saved = row
            if marked != len(entries):
                raise _ReadWhole
            if not saved:
                raise JobStopped
        except BaseException:  # nothing of the page stays: neither do its counts
            self.total, self.entity_counts[entity] = before
            raise

    def _listing_params(
        self, entity: str, field: str, entries: list[VersionEntry], now: datetime
    ) -> dict[str, Any]:
        keys, versions, deleted = zip(*entries, strict=True) if entries else ((), (), ())
        return {
            "integration": self.integration.pk,
            "entity": entity,
            "field": field,
            "now": now,
            "job": self.job.pk,
            "keys": json_list(list(keys)),
            "versions": json_list(list(versions)),
            "deleted": json_list(list(deleted)),
        }

    def _mark_listed(
        self, entity: str, field: str, entries: list[VersionEntry], now: datetime
    ) -> set[str]:
        """Other databases (SQLite for ``make run``): mark seen the listed records stored with
        that version (the record's ``field``) and deletion mark; their keys. PostgreSQL does it
        in LISTING_PAGE."""
        if not entries:
            return set()
        listed = {key: (version, is_deleted) for key, version, is_deleted in entries}
        rows = SyncedRecord.objects.filter(
            integration_id=self.integration.pk, entity=entity, external_id__in=list(listed)
        ).values_list("external_id", "data", "is_deleted")
        same = {
            key
            for key, data, is_deleted in rows
            if isinstance(data, dict) and listed[key] == (data.get(field), is_deleted)
        }
        self._mark_seen(entity, list(same), now)
        return same

    def _cancelled(self) -> bool:
        status = SyncJob.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
        return status != SyncJobStatus.RUNNING

    def _should_stop(self) -> bool:
        status = SyncJob.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
        if status == SyncJobStatus.RUNNING and (
            time.monotonic() - self._last_heartbeat > HEARTBEAT_EVERY_SECONDS
        ):
            self.metadata["heartbeat_at"] = timezone.now().isoformat()
            self._last_heartbeat = time.monotonic()
            SyncJob.objects.filter(pk=self.job.pk, status=SyncJobStatus.RUNNING).update(
                metadata=self._final_metadata()
            )
        return status != SyncJobStatus.RUNNING

    def _prepare(
        self, provider: Provider, entity: str, records: list[Any], counts: Counts
    ) -> dict[str, Prepared]:
        prepared: dict[str, Prepared] = {}
        integration = self.integration
        field_name = provider.key_field(integration)
        # Bound once for the page: this loop runs once per record read.
        record_key = provider.record_key
        record_version = provider.record_version
        record_is_deleted = provider.record_is_deleted
        counts.processed += len(records)
        for record in records:
            if not isinstance(record, dict):
                self._record_failed(entity, None, "The record is not a JSON object.", counts)
                continue
            key = record_key(integration, record, key_field=field_name)
            if key is None:
                self._record_failed(entity, None, f"The record has no {field_name}.", counts)
                continue
            if len(key) > MAX_EXTERNAL_ID_LENGTH:
                self._record_failed(
                    entity, key[:64], f"The key is longer than {MAX_EXTERNAL_ID_LENGTH}.", counts
                )
                continue
            canonical = canonical_json(record)
            if "\\u0000" in canonical:
                # PostgreSQL's jsonb cannot hold NUL characters; one would fail the whole page.
                self._record_failed(entity, key, "The record contains a NUL character.", counts)
                continue
            # The same key twice in a page: the later copy wins, as it would across pages.
            prepared[key] = Prepared(
                key,
                record,
                canonical,
                record_version(record, canonical),
                record_is_deleted(record),
            )
        return prepared

    def _refresh_statistics(self) -> None:
        """ANALYZE synced_records each time this job has added 10× more rows than at the last one.

        A first load takes the table from empty to (say) 100,000 rows inside one job, faster than
        autovacuum notices; with statistics of an empty table PostgreSQL reads each page's
        existing rows through the (integration, entity) prefix of the unique index and filters
        external ids row by row, so every page scans everything stored so far. A handful of
        ANALYZE runs per large load keeps the lookups on the index.
        """
        if self.total.created < self._analyze_at or connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SyncedRecord._meta.db_table}")
        self._analyze_at = self.total.created * 10

    def _store_page(
        self,
        provider: Provider,
        entity: str,
        records: list[Any],
        index: int,
        entity_total: int,
        page_number: int,
    ) -> None:
        counts = Counts()
        errors_before = len(self.errors)
        prepared = self._prepare(provider, entity, records, counts)
        now = timezone.now()
        where = (entity, index, entity_total, page_number, errors_before)
        if connection.vendor != "postgresql":
            with transaction.atomic():
                self._write_portable(entity, prepared, now, counts)
                self._finish_page(counts, *where)
            return
        items = list(prepared.values())
        # The page in one go, without a savepoint around its write (a round trip per page): if
        # the database refuses it, the page's transaction is rolled back whole and the page is
        # written the next way: a first load's COPY straight into the table (a key stored since,
        # as when the source's pages shifted), then the staged upsert, then record by record,
        # each in its own savepoint, so only the records it cannot store fail.
        modes = ["new", "upsert", "careful"] if self._first_load else ["upsert", "careful"]
        before = (replace(self.total), replace(self.entity_counts[entity]), self._seen_first)
        errors_prepared = len(self.errors)
        for mode in modes:
            attempt = replace(counts) if mode != modes[-1] else counts
            try:
                with transaction.atomic():
                    self._write_changed(entity, items, now, attempt, mode=mode)
                    self._finish_page(attempt, *where)
                return
            except DatabaseError:
                self.total, self.entity_counts[entity], self._seen_first = before
                del self.errors[errors_prepared:]
                if mode == modes[-1]:
                    raise
                if mode == "new":
                    self._first_load = False
                logger.info("sync job %s: a %s write was refused", self.job.pk, mode)

    def _finish_page(
        self,
        counts: Counts,
        entity: str,
        index: int,
        entity_total: int,
        page_number: int,
        errors_before: int,
    ) -> None:
        """In the page's transaction: add its counts and save the job's. The job's own row,
        updated only while it is running, decides: its lock is taken here, so a cancel either
        came first (nothing of the page stays: JobStopped rolls it back) or waits for it."""
        self.total.add(counts)
        self.entity_counts[entity].add(counts)
        self._progress(entity, index, entity_total, page_number, save=False)
        if not self._save_metadata_fields():
            del self.errors[errors_before:]
            raise JobStopped

    def _write_changed(
        self, entity: str, items: list[Prepared], now: datetime, counts: Counts, *, mode: str
    ) -> None:
        """PostgreSQL: mark the page's stored records seen, then insert or update the new and
        changed ones; see MARK_SEEN and UPSERT_STAGED. Which goes first follows the previous
        page: on a re-sync (mostly unchanged) MARK_SEEN first leaves little or nothing to send
        with bodies; on a first load (mostly new) the upsert first leaves nothing to mark but
        what it left alone. Both orders store and count the same. ``mode``: "new" COPYs the
        page straight into the table (a first load: nothing is stored yet), "upsert" as above,
        "careful" row by row, each in a savepoint, so only the records the database cannot
        store fail."""
        if not items:
            return
        params = {
            "integration": self.integration.pk,
            "entity": entity,
            "now": now,
            "job": self.job.pk,
        }
        if mode == "new":
            counts.created += self._copy_new(params, items)
            self._seen_first = False
            return
        unchanged = 0
        if self._seen_first:
            stored = self._mark_seen_pg(params, [item.key for item in items])
            to_write = [i for i in items if stored.get(i.key) != (i.version, i.is_deleted)]
            unchanged = len(items) - len(to_write)
            items = to_write
        written: set[str] = set()
        if items:
            refused: set[str] = set()
            if mode == "careful":
                created, written, refused = self._upsert_one_by_one(entity, params, items, counts)
            else:
                created, written = self._upsert_staged(params, items)
            counts.created += created
            counts.updated += len(written) - created
            # Stored already with this very version: unchanged, and seen.
            left = [i.key for i in items if i.key not in written and i.key not in refused]
            if left:
                self._mark_seen_pg(params, left)
                unchanged += len(left)
        self._seen_first = unchanged >= len(written)

    def _mark_seen_pg(self, params: dict[str, Any], keys: list[str]) -> dict[str, tuple[str, bool]]:
        """Mark the stored records of ``keys`` seen: {key: (stored version, deletion mark)}."""
        with connection.cursor() as cursor:
            cursor.execute(MARK_SEEN, {**params, "keys": json_list(keys)})
            return {key: (version, deleted) for key, version, deleted in cursor.fetchall()}

    def _copy_new(self, params: dict[str, Any], items: list[Prepared]) -> int:
        """A first load's page COPYed straight into synced_records (ids from the column's
        default): the number of rows."""
        integration, entity = str(params["integration"]), params["entity"]
        now, job = params["now"].isoformat(), str(params["job"])
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(COPY_NEW) as copy,
        ):
            for i in items:
                copy.write_row(
                    (integration, entity, i.key, i.text, i.version, i.is_deleted, now, now, job)
                )
        return len(items)

    def _upsert_staged(self, params: dict[str, Any], items: list[Prepared]) -> tuple[int, set[str]]:
        """COPY the records into the staging table, upsert from it: (created, keys written)."""
        with connection.cursor() as cursor:
            cursor.execute(STAGE_PREPARE)
            # psycopg's COPY, below Django's cursor: its errors made Django's like the others.
            with connection.wrap_database_errors, cursor.cursor.copy(STAGE_COPY) as copy:
                for item in items:
                    copy.write_row((item.key, item.text, item.version, item.is_deleted))
            cursor.execute(UPSERT_STAGED, params)
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
                        UPSERT_ONE,
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
                self._record_failed(entity, item.key, message, counts)
                refused.add(item.key)
                continue
            for key, inserted in rows:
                written.add(key)
                created += 1 if inserted else 0
        return created, written, refused

    def _mark_seen(self, entity: str, keys: list[str], now: datetime) -> None:
        """Portable writer: unchanged records were still seen by this sync, their
        ``last_synced_at`` and ``last_job_id`` move on; data and version stay as they are."""
        if keys:
            SyncedRecord.objects.filter(
                integration_id=self.integration.pk, entity=entity, external_id__in=keys
            ).update(last_synced_at=now, last_job_id=self.job.pk)

    def _write_portable(
        self, entity: str, prepared: dict[str, Prepared], now: datetime, counts: Counts
    ) -> None:
        """Other databases (SQLite for ``make run``): read the page's stored versions, then
        upsert the new and changed records in bulk."""
        existing = {
            external_id: (version, is_deleted)
            for external_id, version, is_deleted in SyncedRecord.objects.filter(
                integration_id=self.integration.pk,
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
                integration_id=self.integration.pk,
                entity=entity,
                external_id=key,
                data=item.data,
                version=item.version,
                is_deleted=item.is_deleted,
                first_synced_at=now,
                last_synced_at=now,
                last_job_id=self.job.pk,
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
            logger.info("sync job %s: a batch was refused; writing row by row", self.job.pk)
        written: list[str] = []
        for row in rows:
            try:
                with transaction.atomic():
                    self._upsert([row])
                written.append(row.external_id)
            except DatabaseError as error:
                message = f"The database refused the record: {str(error).splitlines()[0]}"
                self._record_failed(entity, row.external_id, message, counts)
        return written

    @staticmethod
    def _upsert(rows: list[SyncedRecord]) -> None:
        SyncedRecord.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["integration", "entity", "external_id"],
            update_fields=["data", "version", "is_deleted", "last_synced_at", "last_job"],
        )

    def _record_failed(
        self, entity: str, external_id: str | None, error: str, counts: Counts
    ) -> None:
        counts.failed += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append({"entity": entity, "external_id": external_id, "error": error})

    def _progress(
        self,
        entity: str,
        index: int,
        entity_total: int,
        page_number: int,
        *,
        entity_done: bool = False,
        save: bool = True,
    ) -> None:
        read = self.entity_counts[entity].processed
        self.metadata["progress"] = {
            "entity": entity,
            "entity_index": index,
            "entity_count": entity_total,
            "entities_done": index if entity_done else index - 1,
            "page": page_number,
            "processed": self.total.processed,
            # The sources do not say how many records there are: no percentage until the end
            # (a share of entities done would read 0 % with thousands of records stored).
            "total": None,
            "percent": None,
            "message": f"{entity} ({index}/{entity_total}): page {page_number}, {read} read",
        }
        if save:
            self._save_metadata_fields()

    def _final_metadata(self) -> dict[str, Any]:
        return {
            **self.metadata,
            "entities": {name: asdict(counts) for name, counts in self.entity_counts.items()},
            "errors": list(self.errors),
        }

    def _save_metadata_fields(self) -> bool:
        """Save the counters and metadata; False if the job is no longer running."""
        running = SyncJob.objects.filter(pk=self.job.pk, status=SyncJobStatus.RUNNING)
        return running.update(**self._job_fields()) > 0

    def _job_fields(self) -> dict[str, Any]:
        """What each page saves of the job: its counters, metadata (with a new heartbeat)."""
        now = timezone.now()
        self.metadata["heartbeat_at"] = now.isoformat()
        self._last_heartbeat = time.monotonic()
        return {
            "records_processed": self.total.processed,
            "records_created": self.total.created,
            "records_updated": self.total.updated,
            "records_failed": self.total.failed,
            "metadata": self._final_metadata(),
            "updated_at": now,
        }

    def _fail(self, message: str) -> None:
        message = redact(message, secrets=integration_secret_values(self.integration))
        sync_job_fail(job=self.job, error_message=message, metadata=self._final_metadata())
