"""How a 1C sync's pages are written: new, changed and unchanged records counted, records marked
seen, refused records and pages written again more carefully, a first load COPYed in, the
table's statistics refreshed; and the writer's SQL kept in step with the model."""

from __future__ import annotations

import pytest
from django.db import connection

from core.testing.onec_server import CATALOGUE, ODataServer, catalogue_item, ref_key
from integrations.models import Integration
from syncjobs.models import SyncedRecord
from syncjobs.tests.runs import counts_of, run_sync
from syncjobs.writers.statements import STAGED_VALUES, insert_columns, statements

pytestmark = pytest.mark.django_db


def test_a_large_first_load_refreshes_the_table_statistics(
    onec_integration: Integration, onec_server: ODataServer
) -> None:
    """Without fresh statistics each page's lookup of stored rows scans the whole entity."""
    from core.testing.onec_server import GeneratedSet
    from syncjobs.writers.postgresql import ANALYZE_FIRST_AT

    onec_server.entity_sets[CATALOGUE] = GeneratedSet(ANALYZE_FIRST_AT + 500)
    onec_integration.config = {**onec_integration.config, "page_size": 500}
    onec_integration.save()

    def planner_row_estimate() -> float:
        # What the planner believes the table holds; ANALYZE sets it (transactionally).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [SyncedRecord._meta.db_table]
            )
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


def test_the_writers_statements_name_the_models_table_and_every_column() -> None:
    sql = statements()
    quote = connection.ops.quote_name
    table = quote(SyncedRecord._meta.db_table)
    writing = (sql.mark_seen, sql.copy_new, sql.upsert_staged, sql.upsert_one, sql.listing_page)
    assert all(table in statement for statement in (*writing, sql.analyze))
    for field in SyncedRecord._meta.local_concrete_fields:
        name = quote(str(field.column))
        assert name in sql.upsert_staged and name in sql.upsert_one
        if field.name != "id":  # the COPY of a first load leaves it to the column's default
            assert name in sql.copy_new


def test_a_model_field_the_statements_do_not_set_is_refused_at_once() -> None:
    values = dict(STAGED_VALUES)
    del values["version"]

    with pytest.raises(RuntimeError, match="version"):
        insert_columns(SyncedRecord, values, defaulted=set())
