"""Syncing from 1C OData against the local server: paging, Cyrillic names, edits, deletion marks,
bad records, and the ways a job fails (bad credentials, timeouts, server errors)."""

from __future__ import annotations

import base64
import time

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
from syncjobs.engine import sync_job_execute
from syncjobs.models import SyncedRecord, SyncJob
from syncjobs.services import sync_job_create

pytestmark = pytest.mark.django_db


def run_sync(integration: Integration, job_type: str = "manual_sync") -> SyncJob:
    job = sync_job_create(integration=integration, job_type=job_type, enqueue=False)
    result = sync_job_execute(job_id=job.pk)
    assert result is not None
    return result


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


def test_bad_credentials_fail_the_job_and_no_secret_is_logged(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.api_secret = "wrong-пароль-1234"
    onec_integration.save()

    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "401" in (job.error_message or "") and "credentials" in (job.error_message or "")
    assert SyncedRecord.objects.count() == 0
    log = IntegrationLog.objects.get(action="sync_page")
    assert log.status_code == 401
    assert log.metadata["sync_job_id"] == str(job.pk)
    assert log.request_data["headers"]["Authorization"] == "[REDACTED]"
    stored = str(list(IntegrationLog.objects.values()))
    assert "wrong-пароль-1234" not in stored
    assert base64.b64encode(f"{USERNAME}:wrong-пароль-1234".encode()).decode() not in stored


def test_a_server_slower_than_config_timeout_fails_the_job_after_the_retries(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.config.update({"timeout": 200, "http_retries": 1})
    onec_integration.save()
    onec_server.delay_seconds = 1.0

    started = time.monotonic()
    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "no answer" in (job.error_message or "") and "timed out" in (job.error_message or "")
    assert time.monotonic() - started < 5
    logs = IntegrationLog.objects.filter(action="sync_page")
    assert logs.count() == 2
    assert all(log.status_code is None and "timed out" in (log.error_message or "") for log in logs)


def test_429_and_503_are_retried_honouring_retry_after(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.config.update({"http_retries": 3})
    onec_integration.save()
    onec_server.fail_next(429, Retry_After="1")
    onec_server.fail_next(503, Retry_After="0")

    started = time.monotonic()
    job = run_sync(onec_integration)

    assert job.status == "completed", job.error_message
    assert job.records_created == 5
    assert time.monotonic() - started >= 1.0
    statuses = list(
        IntegrationLog.objects.filter(action="sync_page")
        .order_by("created_at")
        .values_list("status_code", flat=True)
    )
    assert statuses[:3] == [429, 503, 200]


def test_server_errors_beyond_the_retries_fail_the_job(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.config.update({"http_retries": 1})
    onec_integration.save()
    onec_server.fail_next(500, times=2, Retry_After="0")

    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "HTTP 500 after 2 attempts" in (job.error_message or "")


def test_a_failure_on_a_later_page_keeps_what_was_stored(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_server.fail_next(404, after=1)

    job = run_sync(onec_integration)

    assert job.status == "failed"
    assert "HTTP 404" in (job.error_message or "")
    assert (job.records_processed, job.records_created) == (2, 2)
    assert SyncedRecord.objects.count() == 2
    assert job.metadata["entities"]["products"]["created"] == 2


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


def test_a_large_first_load_refreshes_the_table_statistics(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    """Without fresh statistics each page's lookup of stored rows scans the whole entity."""
    from django.db import connection

    from core.testing.onec_server import GeneratedSet
    from syncjobs.engine import ANALYZE_FIRST_AT

    onec_server.entity_sets[CATALOGUE] = GeneratedSet(ANALYZE_FIRST_AT + 500)
    onec_integration.config = {**onec_integration.config, "page_size": 500}
    onec_integration.save()

    def planner_row_estimate() -> float:
        # What the planner believes the table holds; ANALYZE sets it (transactionally).
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'synced_records'")
            estimate: float = cursor.fetchone()[0]
            return estimate

    assert planner_row_estimate() <= 0  # never analysed
    job = run_sync(onec_integration)

    assert job.status == "completed", job.error_message
    assert job.records_created == ANALYZE_FIRST_AT + 500
    assert planner_row_estimate() >= ANALYZE_FIRST_AT


def test_one_page_counts_new_changed_and_unchanged_records_whichever_statement_goes_first(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    items = onec_server.entity_sets[CATALOGUE]
    assert isinstance(items, list)
    del items[:2]  # the first sync stores items 3, 4 and 5
    first = run_sync(onec_integration)
    assert (first.records_created, first.records_updated) == (3, 0)
    stored_before = {r.external_id: r for r in SyncedRecord.objects.all()}

    # Pages of 2: [1, 2] all new (the next page then goes upsert first), [3, 4] one unchanged
    # and one changed, [5] unchanged (marked seen first again after a mostly unchanged page).
    items[:0] = [catalogue_item(1), catalogue_item(2)]
    items[3] = catalogue_item(4, version=2)
    second = run_sync(onec_integration)

    assert second.status == "completed", second.error_message
    assert (
        second.records_processed,
        second.records_created,
        second.records_updated,
        second.records_failed,
    ) == (5, 2, 1, 0)
    assert second.metadata["entities"] == {
        "products": {"processed": 5, "created": 2, "updated": 1, "failed": 0}
    }
    records = {r.external_id: r for r in SyncedRecord.objects.all()}
    assert len(records) == 5
    assert {r.last_job_id for r in records.values()} == {second.pk}
    assert records[ref_key(4)].data == catalogue_item(4, version=2)
    for number in (3, 5):
        record, before = records[ref_key(number)], stored_before[ref_key(number)]
        assert record.data == before.data and record.version == before.version
        assert record.first_synced_at == before.first_synced_at
        assert record.last_synced_at > before.last_synced_at


def test_a_rerun_marks_every_unchanged_record_seen_by_the_new_job(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    first = run_sync(onec_integration)
    before = dict(SyncedRecord.objects.values_list("external_id", "last_synced_at"))
    rerun = run_sync(onec_integration)

    assert (rerun.records_processed, rerun.records_created, rerun.records_updated) == (5, 0, 0)
    assert rerun.pk != first.pk
    after = SyncedRecord.objects.values_list("external_id", "last_synced_at", "last_job_id")
    assert len(after) == 5
    for external_id, last_synced_at, last_job_id in after:
        assert last_job_id == rerun.pk
        assert last_synced_at > before[external_id]


def test_a_record_the_database_refuses_fails_alone_and_the_rest_of_its_page_is_stored(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    items = onec_server.entity_sets[CATALOGUE]
    assert isinstance(items, list)
    # JSON's parsers accept Infinity, PostgreSQL's jsonb does not: the page's COPY is refused.
    items[2] = {**catalogue_item(3), "ЦенаПродажи": float("inf")}

    job = run_sync(onec_integration)

    assert job.status == "completed", job.error_message
    assert (job.records_processed, job.records_created, job.records_failed) == (5, 4, 1)
    assert [e["external_id"] for e in job.metadata["errors"]] == [ref_key(3)]
    assert "refused" in job.metadata["errors"][0]["error"]
    assert set(SyncedRecord.objects.values_list("external_id", flat=True)) == {
        ref_key(n) for n in (1, 2, 4, 5)
    }


@pytest.mark.parametrize(
    "in_transaction",
    [
        pytest.param(True, id="savepoint"),
        pytest.param(False, id="own-transaction", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def test_a_refused_page_is_written_again_record_by_record_keeping_its_other_failures(
    onec_integration: Integration, onec_server: ODataServer, in_transaction: bool
) -> None:
    """The page's upsert has no savepoint of its own: the page's transaction is rolled back
    and written again record by record; the counts and errors are the page's, once."""
    items = onec_server.entity_sets[CATALOGUE]
    assert isinstance(items, list)
    items[0] = {key: value for key, value in catalogue_item(1).items() if key != "Ref_Key"}
    items[1] = {**catalogue_item(2), "ЦенаПродажи": float("nan")}
    onec_integration.config = {**onec_integration.config, "page_size": 5}
    onec_integration.save()

    job = run_sync(onec_integration)

    assert job.status == "completed", job.error_message
    assert counts_of(job) == (5, 3, 0, 2)
    assert job.metadata["entities"]["products"] == {
        "processed": 5,
        "created": 3,
        "updated": 0,
        "failed": 2,
    }
    assert [e["external_id"] for e in job.metadata["errors"]] == [None, ref_key(2)]
    assert set(SyncedRecord.objects.values_list("external_id", flat=True)) == {
        ref_key(n) for n in (3, 4, 5)
    }


def counts_of(job: SyncJob) -> tuple[int, int, int, int]:
    return job.records_processed, job.records_created, job.records_updated, job.records_failed


def test_a_first_load_page_with_a_key_stored_since_is_upserted_instead_of_copied(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    """A first load COPYs its pages straight in; a key a page shares with an earlier one (the
    source's pages shifted) is refused by the unique key and that page upserted."""
    items = onec_server.entity_sets[CATALOGUE]
    assert isinstance(items, list)
    # Pages of 2 in key order: [1, 2], [2 (edited), 3], [4, 5].
    items[:] = [catalogue_item(n) for n in (1, 2, 3, 4, 5)] + [catalogue_item(2, version=2)]

    job = run_sync(onec_integration)

    assert job.status == "completed", job.error_message
    assert counts_of(job) == (6, 5, 1, 0)
    assert SyncedRecord.objects.count() == 5
    assert SyncedRecord.objects.get(external_id=ref_key(2)).data["DataVersion"] in {
        catalogue_item(2)["DataVersion"],
        catalogue_item(2, version=2)["DataVersion"],
    }
    ids = list(SyncedRecord.objects.values_list("id", flat=True))
    assert len(set(ids)) == 5 and all(i.version == 4 for i in ids)
    assert set(SyncedRecord.objects.values_list("last_job_id", flat=True)) == {job.pk}
