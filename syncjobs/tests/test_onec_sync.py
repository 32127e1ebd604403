"""Syncing from 1C OData against the local server: paging, Cyrillic names, edits, deletion marks,
bad records, the entities named, and the sample of a large page in the log."""

from __future__ import annotations

import base64

import pytest

from core.testing.onec_server import (
    CATALOGUE,
    PASSWORD,
    USERNAME,
    ODataServer,
    catalogue_item,
    ref_key,
)
from integrations.models import Integration, IntegrationLog
from syncjobs.models import SyncedRecord
from syncjobs.tests.runs import run_sync

pytestmark = pytest.mark.django_db


def test_first_sync_stores_every_item_paging_with_top_and_skip(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    job = run_sync(onec_integration)

    assert job.status == "completed", job.error_message
    assert (job.records_processed, job.records_created, job.records_updated) == (5, 5, 0)
    assert job.records_failed == 0
    assert job.metadata["entities"] == {
        "products": {"processed": 5, "created": 5, "updated": 0, "failed": 0}
    }
    assert job.metadata["progress"]["percent"] == 100
    requests = onec_server.data_requests(CATALOGUE)
    assert [(r.query["$top"], r.query["$skip"]) for r in requests] == [
        ("2", "0"),
        ("2", "2"),
        ("2", "4"),
    ]
    assert all(r.query["$format"] == "json" and r.query["$orderby"] == "Ref_Key" for r in requests)
    record = SyncedRecord.objects.get(external_id=ref_key(3))
    assert record.entity == "products"
    assert record.data == catalogue_item(3)
    assert record.data["Description"] == "Товар №3"
    assert record.is_deleted is False
    assert record.last_job_id == job.pk
    onec_integration.refresh_from_db()
    assert onec_integration.last_sync_at is not None


def test_cyrillic_user_is_sent_as_utf8_basic_auth(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    run_sync(onec_integration)

    header = onec_server.data_requests()[0].authorization
    assert header is not None and header.startswith("Basic ")
    assert base64.b64decode(header[6:]).decode("utf-8") == f"{USERNAME}:{PASSWORD}"


def test_unchanged_rerun_writes_nothing_and_edits_and_deletion_marks_are_updates(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    run_sync(onec_integration)
    rerun = run_sync(onec_integration)
    assert (rerun.records_processed, rerun.records_created, rerun.records_updated) == (5, 0, 0)

    items = onec_server.entity_sets[CATALOGUE]
    assert isinstance(items, list)
    items[1] = {**catalogue_item(2, version=2), "Description": "Товар №2 (новая цена)"}
    items[3] = catalogue_item(4, version=2, deleted=True)
    items.append(catalogue_item(6))
    third = run_sync(onec_integration)

    assert third.status == "completed"
    assert (third.records_processed, third.records_created, third.records_updated) == (6, 1, 2)
    assert (
        SyncedRecord.objects.get(external_id=ref_key(2))
        .data["Description"]
        .endswith("(новая цена)")
    )
    deleted = SyncedRecord.objects.get(external_id=ref_key(4))
    assert deleted.is_deleted is True
    assert deleted.last_job_id == third.pk
    # first_synced_at stays the first run's, last_synced_at moves on for every record seen.
    assert deleted.first_synced_at < deleted.last_synced_at
    assert SyncedRecord.objects.count() == 6
    # An unchanged record keeps its data and version but was seen by the last sync.
    untouched = SyncedRecord.objects.get(external_id=ref_key(1))
    assert untouched.last_synced_at > untouched.first_synced_at
    assert untouched.last_job_id == third.pk


def test_records_without_key_fail_alone_and_the_job_completes(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    broken = catalogue_item(99)
    del broken["Ref_Key"]
    items = onec_server.entity_sets[CATALOGUE]
    assert isinstance(items, list)
    items.append(broken)
    items.append({**catalogue_item(7), "Description": "bad\u0000"})

    job = run_sync(onec_integration)

    assert job.status == "completed"
    assert job.records_processed == 7
    assert job.records_created == 5
    assert job.records_failed == 2
    errors = job.metadata["errors"]
    assert {"entity": "products", "external_id": None, "error": "The record has no Ref_Key."} in (
        errors
    )
    assert any(e["external_id"] == ref_key(7) and "NUL" in e["error"] for e in errors)
    assert job.metadata["entities"]["products"]["failed"] == 2


def test_only_the_named_entity_is_synced_for_sync_entity(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_server.entity_sets["Document_ЗаказКлиента"] = [catalogue_item(50)]
    onec_integration.config["mapping"]["orders"] = "Document_ЗаказКлиента"
    onec_integration.save()

    job = run_sync(onec_integration, "sync_orders")

    assert job.records_processed == 1
    assert set(SyncedRecord.objects.values_list("entity", flat=True)) == {"orders"}
    assert not onec_server.data_requests(CATALOGUE)
    full = run_sync(onec_integration, "full_sync")
    assert full.metadata["entities"]["products"]["created"] == 5
    assert full.metadata["entities"]["orders"]["processed"] == 1


def test_a_large_page_is_logged_as_a_readable_sample(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_server.entity_sets[CATALOGUE] = [catalogue_item(n) for n in range(1, 301)]
    onec_integration.config["page_size"] = 300
    onec_integration.save()

    job = run_sync(onec_integration)

    assert job.records_created == 300
    first_page = IntegrationLog.objects.filter(action="sync_page").order_by("created_at").first()
    assert first_page is not None
    body = first_page.response_data["body"]
    assert len(body["value"]) == 21
    assert body["value"][0] == catalogue_item(1)
    assert body["value"][-1] == "... 280 more items not logged"
