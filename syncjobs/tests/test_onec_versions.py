"""A 1C re-sync lists each page by key, DataVersion and DeletionMark first ($select) and reads the
whole page only when a listed record differs from what is stored; servers that ignore or refuse
$select, records without DataVersion and ``read_versions_first: false`` get whole pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from core.testing.onec_server import CATALOGUE, ODataServer, catalogue_item, ref_key
from integrations.models import Integration
from syncjobs.engine import SyncRun, sync_job_execute
from syncjobs.models import SyncedRecord, SyncJob
from syncjobs.services import sync_job_create
from syncjobs.writers.orm import OrmWriter

pytestmark = pytest.mark.django_db


def run_sync(integration: Integration) -> SyncJob:
    job = sync_job_create(integration=integration, job_type="manual_sync", enqueue=False)
    result = sync_job_execute(job_id=job.pk)
    assert result is not None
    assert result.status == "completed", result.error_message
    return result


def reads(server: ODataServer) -> list[tuple[str, str | None]]:
    """(skip, $select) of each data request since the last call, then forgets them."""
    seen = [(r.query["$skip"], r.query.get("$select")) for r in server.data_requests(CATALOGUE)]
    server.requests.clear()
    return seen


def counts(job: SyncJob) -> tuple[int, int, int, int]:
    return job.records_processed, job.records_created, job.records_updated, job.records_failed


def items_of(server: ODataServer) -> list[dict[str, Any]]:
    items = server.entity_sets[CATALOGUE]
    assert isinstance(items, list)
    return items


VERSIONS = "Ref_Key,DataVersion,DeletionMark"


def test_a_first_sync_reads_whole_pages_and_an_unchanged_rerun_only_lists_versions(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    first = run_sync(onec_integration)
    assert reads(onec_server) == [("0", None), ("2", None), ("4", None)]
    stored = {r.external_id: (r.data, r.version) for r in SyncedRecord.objects.all()}

    rerun = run_sync(onec_integration)

    assert reads(onec_server) == [("0", VERSIONS), ("2", VERSIONS), ("4", VERSIONS)]
    assert counts(rerun) == (5, 0, 0, 0)
    assert rerun.metadata["entities"]["products"] == {
        "processed": 5,
        "created": 0,
        "updated": 0,
        "failed": 0,
    }
    for record in SyncedRecord.objects.all():
        assert (record.data, record.version) == stored[record.external_id]
        assert record.last_job_id == rerun.pk != first.pk
        assert record.last_synced_at > record.first_synced_at


def test_a_page_with_an_edit_a_deletion_mark_or_a_new_record_is_read_whole(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    run_sync(onec_integration)
    reads(onec_server)
    items = items_of(onec_server)
    items[2] = {**catalogue_item(3, version=2), "Description": "Товар №3 (новая цена)"}
    items[4] = catalogue_item(5, version=2, deleted=True)

    second = run_sync(onec_integration)

    # Page [1, 2] unchanged; [3, 4] has the edit, [5] the deletion mark: both read whole.
    assert reads(onec_server) == [
        ("0", VERSIONS),
        ("2", VERSIONS),
        ("2", None),
        ("4", VERSIONS),
        ("4", None),
    ]
    assert counts(second) == (5, 0, 2, 0)
    assert (
        SyncedRecord.objects.get(external_id=ref_key(3))
        .data["Description"]
        .endswith("(новая цена)")
    )
    assert SyncedRecord.objects.get(external_id=ref_key(5)).is_deleted is True
    assert set(SyncedRecord.objects.values_list("last_job_id", flat=True)) == {second.pk}

    items.append(catalogue_item(6))
    third = run_sync(onec_integration)
    assert reads(onec_server) == [
        ("0", VERSIONS),
        ("2", VERSIONS),
        ("4", VERSIONS),
        ("4", None),
        ("6", VERSIONS),
    ]
    assert counts(third) == (6, 1, 0, 0)
    assert SyncedRecord.objects.count() == 6


def test_a_server_that_ignores_select_gets_whole_pages(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    run_sync(onec_integration)
    reads(onec_server)
    onec_server.select = "ignore"
    items_of(onec_server)[0] = catalogue_item(1, version=2)

    rerun = run_sync(onec_integration)

    # The first listing came back whole: that page is read again without $select (a listing
    # is never stored as records), and whole pages follow.
    assert reads(onec_server) == [("0", VERSIONS), ("0", None), ("2", None), ("4", None)]
    assert counts(rerun) == (5, 0, 1, 0)
    assert SyncedRecord.objects.get(external_id=ref_key(1)).data == catalogue_item(1, version=2)


def test_a_server_that_refuses_select_gets_the_same_page_whole(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    run_sync(onec_integration)
    reads(onec_server)
    onec_server.select = "refuse"
    items_of(onec_server)[4] = catalogue_item(5, version=3)

    rerun = run_sync(onec_integration)

    assert reads(onec_server) == [("0", VERSIONS), ("0", None), ("2", None), ("4", None)]
    assert counts(rerun) == (5, 0, 1, 0)


def test_records_without_dataversion_are_read_whole_and_listing_stops_after_three_such_pages(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    items = items_of(onec_server)
    items[:] = [
        {"Ref_Key": ref_key(n), "Period": "2026-12-01T00:00:00", "Количество": n}
        for n in range(1, 10)
    ]
    run_sync(onec_integration)
    reads(onec_server)
    items[8] = {**items[8], "Количество": 90}

    rerun = run_sync(onec_integration)

    listed_then_whole = [(skip, select) for skip in ("0", "2", "4") for select in (VERSIONS, None)]
    assert reads(onec_server) == [*listed_then_whole, ("6", None), ("8", None)]
    assert counts(rerun) == (9, 0, 1, 0)
    assert SyncedRecord.objects.get(external_id=ref_key(9)).data["Количество"] == 90


def test_read_versions_first_false_reads_whole_pages_and_sees_edits_that_keep_the_version(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    run_sync(onec_integration)
    # An edit 1C would give a new DataVersion, here without one: listing versions misses it.
    items_of(onec_server)[1] = {**catalogue_item(2), "Description": "тот же DataVersion"}
    listed = run_sync(onec_integration)
    assert counts(listed) == (5, 0, 0, 0)

    onec_integration.config = {**onec_integration.config, "read_versions_first": False}
    onec_integration.save()
    reads(onec_server)
    whole = run_sync(onec_integration)

    assert reads(onec_server) == [("0", None), ("2", None), ("4", None)]
    assert counts(whole) == (5, 0, 1, 0)
    assert SyncedRecord.objects.get(external_id=ref_key(2)).data["Description"] == (
        "тот же DataVersion"
    )


def test_a_listing_marks_only_this_integrations_and_entitys_records_stored_so(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    run_sync(onec_integration)
    job = SyncJob.objects.create(integration=onec_integration, job_type="manual_sync")
    writer = OrmWriter(integration_id=onec_integration.pk, job_id=job.pk, ledger=SyncRun(job))
    version = catalogue_item(1)["DataVersion"]
    now = timezone.now()

    assert writer.mark_listed("other", "DataVersion", [(ref_key(1), version, False)], now) == set()
    assert writer.mark_listed("products", "DataVersion", [(ref_key(1), "x", False)], now) == set()
    assert (
        writer.mark_listed("products", "DataVersion", [(ref_key(1), version, True)], now) == set()
    )
    assert not SyncedRecord.objects.filter(last_job_id=job.pk).exists()
    entries = [(ref_key(1), version, False), (ref_key(2), "другая", False)]
    assert writer.mark_listed("products", "DataVersion", entries, now) == {ref_key(1)}
    assert list(SyncedRecord.objects.filter(last_job_id=job.pk).values_list("external_id")) == [
        (ref_key(1),)
    ]


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_portable_listing_marks_as_postgresql_does(
    onec_integration: Integration,
    onec_server: ODataServer,
    monkeypatch: pytest.MonkeyPatch,
    vendor: str,
) -> None:
    items_of(onec_server)[4] = catalogue_item(5, deleted=True)
    run_sync(onec_integration)
    job = SyncJob.objects.create(integration=onec_integration, job_type="manual_sync")
    version = catalogue_item(1)["DataVersion"]
    entries = [
        (ref_key(1), version, False),  # stored so
        (ref_key(2), version, True),  # stored without the deletion mark
        (ref_key(3), "djI=", False),  # stored with another version
        (ref_key(5), version, True),  # stored so, deleted
        (ref_key(9), version, False),  # not stored
    ]
    monkeypatch.setattr(connection, "vendor", vendor)

    writer = OrmWriter(integration_id=onec_integration.pk, job_id=job.pk, ledger=SyncRun(job))

    marked = writer.mark_listed("products", "DataVersion", entries, timezone.now())

    assert marked == {ref_key(1), ref_key(5)}
    seen = SyncedRecord.objects.filter(last_job_id=job.pk).values_list("external_id", flat=True)
    assert set(seen) == marked


@pytest.mark.django_db(transaction=True)
def test_listing_on_the_prefetch_thread_stores_what_a_whole_read_does(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    """Outside a transaction the pages (and their version checks) are read on a thread."""
    items = items_of(onec_server)
    items[:] = [catalogue_item(n) for n in range(1, 21)]
    run_sync(onec_integration)
    items[13] = catalogue_item(14, version=2)
    reads(onec_server)

    rerun = run_sync(onec_integration)

    seen = reads(onec_server)
    assert seen.count(("12", None)) == 1 and len(seen) == 12  # 10 listings, the empty 11th
    assert counts(rerun) == (20, 0, 1, 0)
    assert SyncedRecord.objects.get(external_id=ref_key(14)).data == catalogue_item(14, version=2)
    assert set(SyncedRecord.objects.values_list("last_job_id", flat=True)) == {rerun.pk}


@pytest.mark.parametrize("still_running", [True, False])
def test_a_listing_page_saves_the_jobs_counts_with_its_marks_or_nothing_once_it_stopped(
    onec_integration: Integration, onec_server: ODataServer, still_running: bool
) -> None:
    from integrations.providers import provider_for
    from integrations.providers.base import VersionListing
    from syncjobs.pages import Counts, JobStopped, PagePosition

    run_sync(onec_integration)
    job = SyncJob.objects.create(
        integration=onec_integration, job_type="manual_sync", status="running"
    )
    run = SyncRun(job)
    run.entity_counts["products"] = Counts()
    provider = provider_for(onec_integration)
    assert provider is not None
    version = catalogue_item(1)["DataVersion"]
    listing = VersionListing(0, 2, [(ref_key(1), version, False), (ref_key(2), version, False)])
    if not still_running:
        SyncJob.objects.filter(pk=job.pk).update(status="cancelled")
    context: Any = None  # only consulted when the listing misses

    if still_running:
        assert run.listings.store(provider, listing, context, PagePosition("products", 1, 1, 1))
    else:
        with pytest.raises(JobStopped):
            run.listings.store(provider, listing, context, PagePosition("products", 1, 1, 1))

    job.refresh_from_db()
    marked = SyncedRecord.objects.filter(last_job_id=job.pk).count()
    if still_running:
        assert (job.records_processed, marked) == (2, 2)
        assert job.metadata["entities"]["products"]["processed"] == 2
        assert job.metadata["progress"]["page"] == 1
    else:
        assert (job.status, job.records_processed, marked) == ("cancelled", 0, 0)


def test_a_listing_with_more_than_selected_is_never_stored_as_records(
    onec_integration: Integration, onec_server: ODataServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that honours $select but sends a property more (here Code, asked for behind the
    provider's back): those records are stubs, so the page is read whole, not stored from them."""
    from integrations.providers import onec as onec_provider

    run_sync(onec_integration)
    stored = {r.external_id: r.data for r in SyncedRecord.objects.all()}
    items_of(onec_server)[0] = catalogue_item(1, version=2)
    monkeypatch.setattr(onec_provider, "_VERSION_SELECT", "DataVersion,DeletionMark,Code")
    reads(onec_server)

    rerun = run_sync(onec_integration)

    assert reads(onec_server)[:2] == [("0", VERSIONS + ",Code"), ("0", None)]
    assert counts(rerun) == (5, 0, 1, 0)
    for record in SyncedRecord.objects.all():
        expected = catalogue_item(1, version=2) if record.external_id == ref_key(1) else None
        assert record.data == (expected or stored[record.external_id])  # never a stub


def test_a_page_read_whole_that_lost_a_listed_key_means_whole_pages_from_then_on(
    onec_integration: Integration,
) -> None:
    """The next listing was read before this page was read whole; a record added before them
    shifted the page, so reading goes on in order, page by page."""
    from integrations.providers import provider_for
    from integrations.providers.base import SyncContext, VersionListing

    provider = provider_for(onec_integration)
    assert provider is not None
    run = SyncRun(SyncJob(integration=onec_integration))
    context = SyncContext(integration=onec_integration, client=None, should_stop=bool)  # type: ignore[arg-type]
    listed = VersionListing(2, 2, [(ref_key(3), "v", False), (ref_key(4), "v", False)])

    run.listings.check_shift(provider, listed, [catalogue_item(3), catalogue_item(4)], context)
    assert not context.whole_pages.is_set()

    run.listings.check_shift(provider, listed, [catalogue_item(2), catalogue_item(3)], context)
    assert context.whole_pages.is_set()
