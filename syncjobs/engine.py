"""The sync engine: runs one claimed job, entity by entity, page by page.

Memory stays bounded by one page: a page is read, written with one bulk upsert, counted, and
dropped before the next is requested. Each page is written in one transaction together with the
job's counters, and committed only if that update of the job's row finds it still running (the
update locks the row); so a cancel takes effect at the next page, and what the job reports is
exactly what it stored. How a page is written is the writer's (``syncjobs.writers``); a
re-sync's version listings are ``syncjobs.listing``'s.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, replace
from typing import Any

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from integrations.http import IntegrationHttpClient
from integrations.models import IntegrationStatus
from integrations.providers import provider_for
from integrations.providers.base import (
    Provider,
    SyncContext,
    SyncSourceError,
    VersionListing,
    canonical_json,
)
from integrations.redaction import redact
from integrations.services import integration_secret_values
from syncjobs.heartbeat import JobHeartbeat
from syncjobs.listing import VersionListings
from syncjobs.models import SyncedRecord, SyncJob, SyncJobStatus
from syncjobs.pages import Checkpoint, Counts, JobStopped, PagePosition, Prepared
from syncjobs.prefetch import prefetch_possible, prefetched
from syncjobs.services import sync_job_complete, sync_job_fail, sync_job_start
from syncjobs.writers import writer_for

logger = logging.getLogger(__name__)
events = structlog.get_logger(__name__)

MAX_KEPT_ERRORS = 100
MAX_EXTERNAL_ID_LENGTH = 255
# While a page is being fetched (retries, Retry-After waits) the job still proves it is alive.
HEARTBEAT_EVERY_SECONDS = 30.0


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
    """One job's run; the ledger (``syncjobs.writers.PageLedger``) its writer settles pages with."""

    def __init__(self, job: SyncJob) -> None:
        self.job = job
        self.integration = job.integration
        self.total = Counts()
        self.entity_counts: dict[str, Counts] = {}
        self.errors: list[dict[str, Any]] = []
        self.metadata: dict[str, Any] = dict(job.metadata or {})
        self._last_heartbeat = time.monotonic()
        self.writer = writer_for(integration_id=self.integration.pk, job_id=job.pk, ledger=self)
        self.listings = VersionListings(
            integration=self.integration, job_id=job.pk, writer=self.writer
        )

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
            self.listings.close()

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
            self.writer.start_entity(entity, has_stored=has_stored)
            position = PagePosition(entity, index, len(entities), 0)
            self._progress(position)
            # On a re-sync a provider that can may list versions first (VersionListing).
            entity_context = replace(
                context,
                list_versions=has_stored and provider.version_field is not None,
                whole_pages=threading.Event(),
            )
            self.listings.start_entity()
            source = mapping[entity]
            pages = provider.pages(entity_context, entity=entity, source=source)
            for page in prefetched(pages):
                position = replace(position, page=position.page + 1)
                if isinstance(page, VersionListing):
                    if self.listings.store(provider, page, entity_context, position):
                        continue
                    page = self.listings.read_whole(
                        provider,
                        page,
                        entity_context,
                        entity=entity,
                        source=source,
                        should_stop=self._should_stop,
                    )
                self._store_page(provider, page, position)
                self.writer.after_page(self.total.created)
            self._progress(position, entity_done=True)
        self.metadata["progress"] = {
            **self.metadata.get("progress", {}),
            "percent": 100,
            "message": f"Done: {self.total.processed} records read",
        }
        self._save_metadata_fields()
        sync_job_complete(job=self.job, metadata=self._final_metadata())

    def _store_page(self, provider: Provider, records: list[Any], position: PagePosition) -> None:
        counts = Counts()
        prepared = self._prepare(provider, position.entity, records, counts)
        self.writer.write_page(prepared, counts, position)

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
                self.record_failed(entity, None, "The record is not a JSON object.", counts)
                continue
            key = record_key(integration, record, key_field=field_name)
            if key is None:
                self.record_failed(entity, None, f"The record has no {field_name}.", counts)
                continue
            if len(key) > MAX_EXTERNAL_ID_LENGTH:
                self.record_failed(
                    entity, key[:64], f"The key is longer than {MAX_EXTERNAL_ID_LENGTH}.", counts
                )
                continue
            canonical = canonical_json(record)
            if "\\u0000" in canonical:
                # PostgreSQL's jsonb cannot hold NUL characters; one would fail the whole page.
                self.record_failed(entity, key, "The record contains a NUL character.", counts)
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

    def record_failed(
        self, entity: str, external_id: str | None, error: str, counts: Counts
    ) -> None:
        counts.failed += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append({"entity": entity, "external_id": external_id, "error": error})

    def checkpoint(self, entity: str) -> Checkpoint:
        return Checkpoint(
            replace(self.total), replace(self.entity_counts[entity]), len(self.errors)
        )

    def restore(self, entity: str, checkpoint: Checkpoint) -> None:
        self.total, self.entity_counts[entity] = checkpoint.total, checkpoint.entity
        del self.errors[checkpoint.errors :]

    def tally_page(self, counts: Counts, position: PagePosition) -> dict[str, Any]:
        self._add_page(counts, position)
        return self._job_fields()

    def settle_page(self, counts: Counts, position: PagePosition) -> None:
        self._add_page(counts, position)
        if not self._save_metadata_fields():
            raise JobStopped

    def _add_page(self, counts: Counts, position: PagePosition) -> None:
        self.total.add(counts)
        self.entity_counts[position.entity].add(counts)
        self._progress(position, save=False)

    def _progress(
        self, position: PagePosition, *, entity_done: bool = False, save: bool = True
    ) -> None:
        entity, index, entity_total = position.entity, position.entity_index, position.entity_count
        read = self.entity_counts[entity].processed
        self.metadata["progress"] = {
            "entity": entity,
            "entity_index": index,
            "entity_count": entity_total,
            "entities_done": index if entity_done else index - 1,
            "page": position.page,
            "processed": self.total.processed,
            # The sources do not say how many records there are: no percentage until the end
            # (a share of entities done would read 0 % with thousands of records stored).
            "total": None,
            "percent": None,
            "message": f"{entity} ({index}/{entity_total}): page {position.page}, {read} read",
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

    def _fail(self, message: str) -> None:
        message = redact(message, secrets=integration_secret_values(self.integration))
        sync_job_fail(job=self.job, error_message=message, metadata=self._final_metadata())
