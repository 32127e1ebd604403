"""What a sync job keeps of its pages: counts, where a page is, how it is written.

Shared by the run loop (``syncjobs.engine``), the page writers (``syncjobs.writers``) and the
version listings (``syncjobs.listing``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class JobStopped(Exception):
    """The job left ``running`` (cancelled, or failed by the sweeper) while it ran."""


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


@dataclass(frozen=True, slots=True)
class PagePosition:
    """Where a page is in its job: the entity, its place among the job's entities, the page."""

    entity: str
    entity_index: int
    entity_count: int
    page: int


@dataclass(slots=True)
class Checkpoint:
    """The job's tallies before a page: put back when the page's transaction is rolled back."""

    total: Counts
    entity: Counts
    errors: int


@dataclass(slots=True)
class Prepared:
    """One record of a page, checked and keyed, ready to be written."""

    key: str
    data: Any
    text: str  # the record's canonical JSON, what PostgreSQL is sent
    version: str
    is_deleted: bool


class WriteMode(enum.Enum):
    """How the PostgreSQL writer writes a page; each refused page is written the next way."""

    NEW = "new"  # a first load: COPYed straight into the table
    UPSERT = "upsert"  # COPYed into a staging table and upserted from it
    CAREFUL = "careful"  # record by record, each in a savepoint: only refused records fail
