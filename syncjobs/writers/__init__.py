"""Page writers: how a sync job stores its pages in ``SyncedRecord``, chosen once per job.

PostgreSQL's (``postgresql.PostgresWriter``) sends each page in a statement or two, COPY and
set-based upserts, falling back to record by record when the database refuses a page; other
databases (SQLite for ``make run``) get the ORM's (``orm.OrmWriter``). Each writes a page and
saves the job's counts in the same transaction, through the run's ``PageLedger``.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import connection

from integrations.providers.base import VersionEntry
from syncjobs.pages import Checkpoint, Counts, PagePosition, Prepared
from syncjobs.writers.orm import OrmWriter
from syncjobs.writers.postgresql import PostgresWriter


class PageLedger(Protocol):
    """What the run keeps of its pages (``syncjobs.engine.SyncRun``)."""

    def record_failed(
        self, entity: str, external_id: str | None, error: str, counts: Counts
    ) -> None: ...

    def checkpoint(self, entity: str) -> Checkpoint: ...

    def restore(self, entity: str, checkpoint: Checkpoint) -> None: ...

    def tally_page(self, counts: Counts, position: PagePosition) -> dict[str, Any]:
        """Add the page's counts; the job's fields to save with it."""
        ...

    def settle_page(self, counts: Counts, position: PagePosition) -> None:
        """In the page's transaction: add its counts and save the job's; JobStopped when the
        job is no longer running (its row's lock is taken here, so a cancel either came first
        or waits for the page)."""
        ...


class PageWriter(Protocol):
    def start_entity(self, entity: str, *, has_stored: bool) -> None:
        """An entity begins; ``has_stored``: records of it were stored before this job."""
        ...

    def write_page(
        self, records: dict[str, Prepared], counts: Counts, position: PagePosition
    ) -> None:
        """Store the page's records and settle the page with the ledger, in one transaction."""
        ...

    def store_listing(
        self, entries: list[VersionEntry], field: str, counts: Counts, position: PagePosition
    ) -> bool:
        """Mark seen the listed records stored with the listed version (the record's ``field``)
        and deletion mark, and settle the page, if every one is stored so (True); otherwise
        nothing is kept (False)."""
        ...

    def after_page(self, created: int) -> None:
        """A page was stored; ``created``: the records the job has added so far."""
        ...


def writer_for(*, integration_id: Any, job_id: Any, ledger: PageLedger) -> PageWriter:
    """The writer for the database the job runs on."""
    writer: type[PostgresWriter | OrmWriter] = (
        PostgresWriter if connection.vendor == "postgresql" else OrmWriter
    )
    return writer(integration_id=integration_id, job_id=job_id, ledger=ledger)
