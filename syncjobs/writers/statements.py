"""The PostgreSQL writer's SQL, its table and column names taken from the models' metadata.

Built once per process (``statements()``). Each statement that inserts rows names every column
of ``SyncedRecord`` or refuses to build (``insert_columns``), so a field added to the model
without its value here fails at the first page, and the tests, not in production.

PostgreSQL writes a page in at most two statements, set-based, each record found through the
unique index (an ``= ANY`` probe or the upsert's conflict check):
- ``mark_seen``: the page's stored records get this job's ``last_synced_at``/``last_job_id``
  (two narrow columns, none indexed: a HOT update); RETURNING gives their stored version and
  deletion mark, so the writer knows which are unchanged. Only keys are sent, no bodies.
- ``upsert_staged``: the new and changed records, COPYed into a temporary table, are inserted
  or, when the version or deletion mark differs, updated; RETURNING names the rows written,
  ``xmax = 0`` those it inserted.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models

from syncjobs.models import SyncedRecord, SyncJob

# What each inserted column is set to, by field name, in the order the statements list them.
# The staged upsert reads the page from the staging table ``page``.
STAGED_VALUES = {
    "id": "gen_random_uuid()",
    "integration": "%(integration)s",
    "entity": "%(entity)s",
    "external_id": "page.key",
    "data": "page.data",
    "version": "page.version",
    "is_deleted": "page.deleted",
    "first_synced_at": "%(now)s",
    "last_synced_at": "%(now)s",
    "last_job": "%(job)s",
}
# One record, when the database refused a page and it is written row by row.
ONE_VALUES = {
    **STAGED_VALUES,
    "external_id": "%(key)s",
    "data": "%(data)s::jsonb",
    "version": "%(version)s",
    "is_deleted": "%(deleted)s",
}
# A first load's COPY, in the order of the rows the writer sends; the ids come from the
# column's default (migration 0005).
COPY_NEW_FIELDS = (
    "integration",
    "entity",
    "external_id",
    "data",
    "version",
    "is_deleted",
    "first_synced_at",
    "last_synced_at",
    "last_job",
)
# What an upsert rewrites of a record stored with another version or deletion mark.
UPDATED_FIELDS = ("data", "version", "is_deleted", "last_synced_at", "last_job")


def insert_columns(model: type[models.Model], names: Iterable[str], *, defaulted: set[str]) -> str:
    """The columns of ``names``, quoted, in that order; refused unless ``names`` and the fields
    left to their database default (``defaulted``) are every field of ``model``."""
    names = list(names)
    fields = {field.name for field in model._meta.local_concrete_fields}
    if fields != set(names) | defaulted:
        # A field added to (or dropped from) the model must be given its value here too.
        raise RuntimeError(
            f"the sync statements do not match {model.__name__}: "
            f"{sorted(fields ^ (set(names) | defaulted))}"
        )
    return ", ".join(column(model, name) for name in names)


def column(model: type[models.Model], name: str) -> str:
    """The quoted column of the field ``name``: unknown names fail here, not in PostgreSQL."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a concrete field, not a reverse relation
    return connection.ops.quote_name(str(field.column))


@dataclass(frozen=True)
class Statements:
    mark_seen: str
    stage_prepare: str
    stage_copy: str
    copy_new: str
    upsert_staged: str
    upsert_one: str
    listing_page: str
    analyze: str


@functools.cache
def statements() -> Statements:
    """The statements, built once from the models' tables and columns."""
    quote = connection.ops.quote_name
    table = quote(SyncedRecord._meta.db_table)

    def record(name: str) -> str:
        return column(SyncedRecord, name)

    def job(name: str) -> str:
        return column(SyncJob, name)

    integration, entity, external_id = (
        record("integration"),
        record("entity"),
        record("external_id"),
    )
    version, is_deleted = record("version"), record("is_deleted")
    seen = f"{record('last_synced_at')} = %(now)s, {record('last_job')} = %(job)s"
    mark_seen = f"""
UPDATE {table} SET {seen}
WHERE {integration} = %(integration)s AND {entity} = %(entity)s
    AND {external_id} = ANY(ARRAY(SELECT jsonb_array_elements_text(%(keys)s::jsonb)))
RETURNING {external_id}, {version}, {is_deleted}
"""  # noqa: S608 (names from the model's metadata, every value a parameter)
    # The page's staging table: one per database session, emptied at each commit (and before
    # each use, for a caller that holds one transaction over several pages). Created in the
    # page's own transaction, so it also works through a pooler that hands out a session per
    # transaction.
    stage_prepare = """
SET LOCAL client_min_messages TO warning;
CREATE TEMPORARY TABLE IF NOT EXISTS sync_page_stage
    (key text, data jsonb, version text, deleted boolean) ON COMMIT DELETE ROWS;
DELETE FROM sync_page_stage
"""
    stage_copy = "COPY sync_page_stage (key, data, version, deleted) FROM STDIN"
    # A first load (nothing stored for the entity when the job began): pages go straight into
    # the table. A key stored since makes the page refused by the unique constraint; it is then
    # upserted as any other.
    copy_columns = insert_columns(SyncedRecord, COPY_NEW_FIELDS, defaulted={"id"})
    copy_new = f"COPY {table} ({copy_columns}) FROM STDIN"
    updates = ", ".join(f"{record(name)} = EXCLUDED.{record(name)}" for name in UPDATED_FIELDS)
    upsert_tail = f"""
ON CONFLICT ({integration}, {entity}, {external_id}) DO UPDATE
SET {updates}
WHERE stored.{version} IS DISTINCT FROM EXCLUDED.{version}
    OR stored.{is_deleted} IS DISTINCT FROM EXCLUDED.{is_deleted}
RETURNING stored.{external_id}, (stored.xmax = 0)
"""
    staged_columns = insert_columns(SyncedRecord, STAGED_VALUES, defaulted=set())
    upsert_staged = f"""
INSERT INTO {table} AS stored ({staged_columns})
SELECT {", ".join(STAGED_VALUES.values())}
FROM sync_page_stage AS page
{upsert_tail}"""  # noqa: S608
    one_columns = insert_columns(SyncedRecord, ONE_VALUES, defaulted=set())
    upsert_one = f"""
INSERT INTO {table} AS stored ({one_columns})
VALUES ({", ".join(ONE_VALUES.values())})
{upsert_tail}"""  # noqa: S608
    # A version listing: its records stored with the listed version (the record's ``field``)
    # and deletion mark are seen by this job; RETURNING names them. Keys, versions and marks
    # come as three JSON arrays, unpacked side by side.
    mark_listed = f"""
UPDATE {table} AS stored SET {seen}
FROM ROWS FROM (
    jsonb_array_elements_text(%(keys)s::jsonb),
    jsonb_array_elements_text(%(versions)s::jsonb),
    jsonb_array_elements(%(deleted)s::jsonb)
) AS page(key, version, deleted)
WHERE stored.{integration} = %(integration)s AND stored.{entity} = %(entity)s
    AND stored.{external_id} = page.key
    AND stored.{record("data")} ->> %(field)s = page.version
    AND stored.{is_deleted} = page.deleted::boolean
RETURNING stored.{external_id}
"""  # noqa: S608
    # A version listing's page in one statement: the marks, and the job's counts saved only if
    # every listed record was marked (``expected``) and the job is still running; that page's
    # commit is then not flushed to disk at once (it holds marks and counts only: a crash may
    # lose the last of them, never half of one). Answers (records marked, job rows updated).
    counters = ", ".join(
        f"{job(name)} = %({name})s"
        for name in ("records_processed", "records_created", "records_updated", "records_failed")
    )
    listing_page = f"""WITH marked AS ({mark_listed}),
job AS (
    UPDATE {quote(SyncJob._meta.db_table)} SET {counters},
        {job("metadata")} = %(metadata)s::jsonb, {job("updated_at")} = %(updated_at)s
    WHERE {job("id")} = %(job)s AND {job("status")} = %(running)s
        AND (SELECT count(*) FROM marked) = %(expected)s
    RETURNING set_config('synchronous_commit', 'off', true)
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM job)
"""  # noqa: S608
    return Statements(
        mark_seen=mark_seen,
        stage_prepare=stage_prepare,
        stage_copy=stage_copy,
        copy_new=copy_new,
        upsert_staged=upsert_staged,
        upsert_one=upsert_one,
        listing_page=listing_page,
        analyze=f"ANALYZE {table}",
    )
