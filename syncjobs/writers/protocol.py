"""What a page writer is, and what it reports its pages to: the two protocols between the run
loop (``syncjobs.engine.SyncRun``, the ledger) and the writers of this package."""

from __future__ import annotations

from typing import Any, Protocol

from integrations.providers.base import VersionEntry
from syncjobs.pages import Checkpoint, Counts, PagePosition, Prepared


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
