"""A re-sync's version listings (1C's DataVersion): pages stored from their versions alone.

On a re-sync a provider that can lists a page's keys, versions and deletion marks first
(``VersionListing``). When every listed record is stored so, the page is marked seen and
counted read without its bodies; otherwise it is read whole. Listings that keep missing mean a
source mostly changed: whole pages from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from integrations.http import IntegrationHttpClient
from integrations.models import Integration
from integrations.providers.base import Provider, SyncContext, VersionListing
from syncjobs.pages import Counts, PagePosition
from syncjobs.writers import PageWriter

logger = logging.getLogger(__name__)

# Version listings in a row that each needed their page read whole, before whole pages only.
LISTING_MISSES_BEFORE_WHOLE_PAGES = 3


class VersionListings:
    """One job's version listings, entity by entity."""

    def __init__(self, *, integration: Integration, job_id: Any, writer: PageWriter) -> None:
        self.integration = integration
        self.job_id = job_id
        self.writer = writer
        # Listings in a row that needed the page read whole; a client for those reads.
        self._misses = 0
        self._own_client: IntegrationHttpClient | None = None

    def start_entity(self) -> None:
        self._misses = 0

    def store(
        self,
        provider: Provider,
        listing: VersionListing,
        context: SyncContext,
        position: PagePosition,
    ) -> bool:
        """A listing whose every record is stored so: marked seen and counted read, in the
        page's transaction (True). Otherwise nothing is kept (False): the caller reads the page
        whole (``read_whole``)."""
        field = provider.version_field
        if listing.entries is not None and field is not None:
            counts = Counts(processed=listing.count)
            if self.writer.store_listing(listing.entries, field, counts, position):
                self._misses = 0
                return True
        self._misses += 1
        if self._misses >= LISTING_MISSES_BEFORE_WHOLE_PAGES:
            context.whole_pages.set()
        return False

    def read_whole(
        self,
        provider: Provider,
        listed: VersionListing,
        context: SyncContext,
        *,
        entity: str,
        source: Any,
        should_stop: Callable[[], bool],
    ) -> list[Any]:
        """The listed page read here, with the job's own client while the prefetch thread
        uses its one."""
        if self._own_client is None:
            self._own_client = IntegrationHttpClient(
                self.integration, log_metadata={"sync_job_id": str(self.job_id)}
            )
        reading = replace(context, client=self._own_client, should_stop=should_stop)
        page = provider.read_page(reading, entity=entity, source=source, skip=listed.skip)
        self.check_shift(provider, listed, page, context)
        return page

    def check_shift(
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
            logger.warning("sync job %s: the source's pages moved while read", self.job_id)
            context.whole_pages.set()

    def close(self) -> None:
        """The job's own client's pooled connections end with the job."""
        if self._own_client is not None:
            self._own_client.session.close()
