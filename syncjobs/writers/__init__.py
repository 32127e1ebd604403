"""Page writers: how a sync job stores its pages in ``SyncedRecord``, chosen once per job.

PostgreSQL's (``postgresql.PostgresWriter``) sends each page in a statement or two, COPY and
set-based upserts, falling back to record by record when the database refuses a page; other
databases (SQLite for ``make run``) get the ORM's (``orm.OrmWriter``). Each writes a page and
saves the job's counts in the same transaction, through the run's ``PageLedger``.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from syncjobs.writers.orm import OrmWriter
from syncjobs.writers.postgresql import PostgresWriter
from syncjobs.writers.protocol import PageLedger, PageWriter

__all__ = ["PageLedger", "PageWriter", "writer_for"]


def writer_for(*, integration_id: Any, job_id: Any, ledger: PageLedger) -> PageWriter:
    """The writer for the database the job runs on."""
    writer: type[PostgresWriter | OrmWriter] = (
        PostgresWriter if connection.vendor == "postgresql" else OrmWriter
    )
    return writer(integration_id=integration_id, job_id=job_id, ledger=ledger)
