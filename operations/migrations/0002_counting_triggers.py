"""Triggers that keep ``metric_counters`` and ``metric_durations`` (see ``operations.models``):
each counted change adds to its shard's row in the change's own transaction. PostgreSQL and
SQLite (``make run``) each get their dialect; the totals start from what the tables hold now."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SHARDS = 32
BUCKETS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
WEBHOOK_STATUS_METRICS = (
    ("webhooks_processed", "completed"),
    ("webhooks_failed", "failed"),
    ("webhooks_ignored", "ignored"),
)
SYNC_FIELDS = ("processed", "created", "updated", "failed")
BUCKET_COLUMNS = ", ".join(f"le_{limit}" for limit in BUCKETS)

# --- PostgreSQL ---------------------------------------------------------------------------------
# Statement-level triggers over transition tables: one grouped upsert per statement, whatever
# its row count. (A row-level trigger would update one counter row again and again inside a bulk
# statement's transaction, each update walking the row's growing chain of versions: quadratic.)
# Rows are added in key order, so two statements that share a shard take their locks alike.

_PG_UPSERT = (
    "ORDER BY 1, 2, 3 "
    "ON CONFLICT (metric, integration_key, label, shard) "
    "DO UPDATE SET value = metric_counters.value + EXCLUDED.value"
)
_PG_SHARD = f"pg_backend_pid() % {SHARDS}"


def _pg_status_values(*, row: str, before: str | None) -> str:
    return ",\n".join(
        f"('{metric}', ({row}.status = '{status}'"
        + (f" AND {before}.status IS DISTINCT FROM '{status}'" if before else "")
        + ")::int)"
        for metric, status in WEBHOOK_STATUS_METRICS
    )


def _pg_function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body};\nRETURN NULL;\nEND\n$$"
    )


PG_INSTALL = [
    # Received once; a status counted when entered (a replayed webhook completes again); the
    # automatic retries made (a manual retry sets retry_count back to 0: nothing taken away).
    _pg_function(
        "vendhub_count_webhooks_inserted",
        f"""INSERT INTO metric_counters (metric, integration_key, label, shard, value)
    SELECT counted.metric, COALESCE(r.integration_id::text, ''), r.event_type, {_PG_SHARD},
           SUM(counted.n)
    FROM inserted AS r CROSS JOIN LATERAL (VALUES
        ('webhooks_received', 1),
        {_pg_status_values(row="r", before=None)},
        ('webhooks_retried', r.retry_count)
    ) AS counted (metric, n)
    WHERE counted.n > 0
    GROUP BY 1, 2, 3
    {_PG_UPSERT}""",
    ),
    """CREATE TRIGGER webhooks_count_insert AFTER INSERT ON webhooks
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION vendhub_count_webhooks_inserted()""",
    _pg_function(
        "vendhub_count_webhooks_updated",
        f"""INSERT INTO metric_counters (metric, integration_key, label, shard, value)
    SELECT counted.metric, COALESCE(r.integration_id::text, ''), r.event_type, {_PG_SHARD},
           SUM(counted.n)
    FROM after_update AS r JOIN before_update AS b ON b.id = r.id
    CROSS JOIN LATERAL (VALUES
        {_pg_status_values(row="r", before="b")},
        ('webhooks_retried', GREATEST(r.retry_count - b.retry_count, 0))
    ) AS counted (metric, n)
    WHERE counted.n > 0 AND (r.status IS DISTINCT FROM b.status OR r.retry_count > b.retry_count)
    GROUP BY 1, 2, 3
    {_PG_UPSERT}""",
    ),
    """CREATE TRIGGER webhooks_count_update AFTER UPDATE ON webhooks
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION vendhub_count_webhooks_updated()""",
    # What each save of a job adds to its counts (a page rolled back adds nothing).
    _pg_function(
        "vendhub_count_sync_jobs_inserted",
        f"""INSERT INTO metric_counters (metric, integration_key, label, shard, value)
    SELECT counted.metric, r.integration_id::text, '', {_PG_SHARD}, SUM(counted.n)
    FROM inserted AS r CROSS JOIN LATERAL (VALUES
        {", ".join(f"('sync_{field}', r.records_{field})" for field in SYNC_FIELDS)}
    ) AS counted (metric, n)
    WHERE counted.n > 0
    GROUP BY 1, 2, 3
    {_PG_UPSERT}""",
    ),
    """CREATE TRIGGER sync_jobs_count_insert AFTER INSERT ON sync_jobs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION vendhub_count_sync_jobs_inserted()""",
    _pg_function(
        "vendhub_count_sync_jobs_updated",
        f"""INSERT INTO metric_counters (metric, integration_key, label, shard, value)
    SELECT counted.metric, r.integration_id::text, '', {_PG_SHARD}, SUM(counted.n)
    FROM after_update AS r JOIN before_update AS b ON b.id = r.id
    CROSS JOIN LATERAL (VALUES
        {", ".join(
            f"('sync_{field}', GREATEST(r.records_{field} - b.records_{field}, 0))"
            for field in SYNC_FIELDS
        )}
    ) AS counted (metric, n)
    WHERE counted.n > 0
    GROUP BY 1, 2, 3
    {_PG_UPSERT}""",
    ),
    """CREATE TRIGGER sync_jobs_count_update AFTER UPDATE ON sync_jobs
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION vendhub_count_sync_jobs_updated()""",
    _pg_function(
        "vendhub_count_outbound_calls",
        f"""INSERT INTO metric_durations (integration_key, action, shard, count, sum_ms,
        {BUCKET_COLUMNS})
    SELECT r.integration_id::text, r.action, {_PG_SHARD}, COUNT(*), SUM(r.duration_ms),
        {", ".join(f"COUNT(*) FILTER (WHERE r.duration_ms <= {limit})" for limit in BUCKETS)}
    FROM inserted AS r
    WHERE r.direction = 'outbound'
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (integration_key, action, shard) DO UPDATE SET
        count = metric_durations.count + EXCLUDED.count,
        sum_ms = metric_durations.sum_ms + EXCLUDED.sum_ms,
        {", ".join(
            f"le_{limit} = metric_durations.le_{limit} + EXCLUDED.le_{limit}" for limit in BUCKETS
        )}""",
    ),
    """CREATE TRIGGER integration_logs_count AFTER INSERT ON integration_logs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION vendhub_count_outbound_calls()""",
]

PG_REMOVE = [
    "DROP TRIGGER IF EXISTS webhooks_count_insert ON webhooks",
    "DROP TRIGGER IF EXISTS webhooks_count_update ON webhooks",
    "DROP TRIGGER IF EXISTS sync_jobs_count_insert ON sync_jobs",
    "DROP TRIGGER IF EXISTS sync_jobs_count_update ON sync_jobs",
    "DROP TRIGGER IF EXISTS integration_logs_count ON integration_logs",
    "DROP FUNCTION IF EXISTS vendhub_count_webhooks_inserted()",
    "DROP FUNCTION IF EXISTS vendhub_count_webhooks_updated()",
    "DROP FUNCTION IF EXISTS vendhub_count_sync_jobs_inserted()",
    "DROP FUNCTION IF EXISTS vendhub_count_sync_jobs_updated()",
    "DROP FUNCTION IF EXISTS vendhub_count_outbound_calls()",
]

# --- SQLite: one writer at a time, so one shard (0) ---------------------------------------------

_SQLITE_UPSERT = (
    "ON CONFLICT (metric, integration_key, label, shard) "
    "DO UPDATE SET value = value + excluded.value"
)


def _sqlite_add(metric: str, key: str, label: str, amount: str, condition: str = "1") -> str:
    # "WHERE" keeps SQLite's parser from reading ON CONFLICT as a join's constraint.
    return (
        "INSERT INTO metric_counters (metric, integration_key, label, shard, value) "
        f"SELECT '{metric}', {key}, {label}, 0, {amount} WHERE {condition} {_SQLITE_UPSERT};"
    )


_WEBHOOK_KEY = "COALESCE(NEW.integration_id, '')"


def _sqlite_webhook_statuses(*, inserted: bool) -> str:
    return "\n".join(
        _sqlite_add(
            metric,
            _WEBHOOK_KEY,
            "NEW.event_type",
            "1",
            f"NEW.status = '{status}'" + ("" if inserted else f" AND OLD.status <> '{status}'"),
        )
        for metric, status in WEBHOOK_STATUS_METRICS
    )


def _sqlite_sync(*, inserted: bool) -> str:
    return "\n".join(
        _sqlite_add(
            f"sync_{field}",
            "NEW.integration_id",
            "''",
            f"NEW.records_{field}" + ("" if inserted else f" - OLD.records_{field}"),
            f"NEW.records_{field}" + (" > 0" if inserted else f" > OLD.records_{field}"),
        )
        for field in SYNC_FIELDS
    )


SQLITE_INSTALL = [
    f"""CREATE TRIGGER webhooks_count_insert AFTER INSERT ON webhooks BEGIN
    {_sqlite_add("webhooks_received", _WEBHOOK_KEY, "NEW.event_type", "1")}
    {_sqlite_webhook_statuses(inserted=True)}
    {_sqlite_add("webhooks_retried", _WEBHOOK_KEY, "NEW.event_type", "NEW.retry_count",
                 "NEW.retry_count > 0")}
END""",
    f"""CREATE TRIGGER webhooks_count_update AFTER UPDATE OF status, retry_count ON webhooks
    BEGIN
    {_sqlite_webhook_statuses(inserted=False)}
    {_sqlite_add("webhooks_retried", _WEBHOOK_KEY, "NEW.event_type",
                 "NEW.retry_count - OLD.retry_count", "NEW.retry_count > OLD.retry_count")}
END""",
    f"""CREATE TRIGGER sync_jobs_count_insert AFTER INSERT ON sync_jobs BEGIN
    {_sqlite_sync(inserted=True)}
END""",
    f"""CREATE TRIGGER sync_jobs_count_update AFTER UPDATE OF records_processed, records_created,
    records_updated, records_failed ON sync_jobs BEGIN
    {_sqlite_sync(inserted=False)}
END""",
    f"""CREATE TRIGGER integration_logs_count AFTER INSERT ON integration_logs
    WHEN NEW.direction = 'outbound' BEGIN
    INSERT INTO metric_durations (integration_key, action, shard, count, sum_ms, {BUCKET_COLUMNS})
    SELECT NEW.integration_id, NEW.action, 0, 1, NEW.duration_ms,
        {", ".join(f"(NEW.duration_ms <= {limit})" for limit in BUCKETS)}
    WHERE 1
    ON CONFLICT (integration_key, action, shard) DO UPDATE SET
        count = count + 1, sum_ms = sum_ms + excluded.sum_ms,
        {", ".join(f"le_{limit} = le_{limit} + excluded.le_{limit}" for limit in BUCKETS)};
END""",
]

SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "webhooks_count_insert",
        "webhooks_count_update",
        "sync_jobs_count_insert",
        "sync_jobs_count_update",
        "integration_logs_count",
    )
]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return PG_INSTALL if install else PG_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise RuntimeError(f"No metric counting triggers for the {vendor} database")


def _key(value: Any, vendor: str) -> str:
    """An integration id as the triggers write it: PostgreSQL's uuid text, SQLite's 32 hex."""
    if value is None:
        return ""
    return value.hex if vendor == "sqlite" else str(value)


def backfill(apps: Any, vendor: str) -> None:
    """The totals start from the rows the tables hold now (a hub upgraded keeps its figures)."""
    from django.db.models import Count, Q, Sum

    webhook = apps.get_model("webhooks", "Webhook")
    sync_job = apps.get_model("syncjobs", "SyncJob")
    log = apps.get_model("integrations", "IntegrationLog")
    counter = apps.get_model("operations", "MetricCounter")
    durations = apps.get_model("operations", "DurationCounter")
    rows = []
    for row in (
        webhook.objects.values("integration_id", "event_type")
        .annotate(
            webhooks_received=Count("id"),
            webhooks_processed=Count("id", filter=Q(status="completed")),
            webhooks_failed=Count("id", filter=Q(status="failed")),
            webhooks_ignored=Count("id", filter=Q(status="ignored")),
            webhooks_retried=Sum("retry_count"),
        )
        .order_by()
    ):
        for metric in (
            "webhooks_received",
            "webhooks_processed",
            "webhooks_failed",
            "webhooks_ignored",
            "webhooks_retried",
        ):
            if row[metric]:
                rows.append(
                    counter(
                        metric=metric,
                        integration_key=_key(row["integration_id"], vendor),
                        label=row["event_type"],
                        value=row[metric],
                    )
                )
    sums = {field: Sum(f"records_{field}") for field in SYNC_FIELDS}
    for row in sync_job.objects.values("integration_id").annotate(**sums).order_by():
        for field in SYNC_FIELDS:
            if row[field]:
                rows.append(
                    counter(
                        metric=f"sync_{field}",
                        integration_key=_key(row["integration_id"], vendor),
                        value=row[field],
                    )
                )
    counter.objects.bulk_create(rows, batch_size=500)
    buckets = {f"le_{limit}": Count("id", filter=Q(duration_ms__lte=limit)) for limit in BUCKETS}
    durations.objects.bulk_create(
        [
            durations(
                integration_key=_key(row.pop("integration_id"), vendor),
                action=row.pop("action"),
                **row,
            )
            for row in log.objects.filter(direction="outbound")
            .values("integration_id", "action")
            .annotate(count=Count("id"), sum_ms=Sum("duration_ms"), **buckets)
            .order_by()
        ],
        batch_size=500,
    )


def install(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    # The totals and the triggers in one step: nothing counted twice, nothing missed.
    backfill(apps, vendor)
    for statement in _statements(vendor, install=True):
        schema_editor.execute(statement, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(statement, params=None)
    apps.get_model("operations", "MetricCounter").objects.all().delete()
    apps.get_model("operations", "DurationCounter").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_monotonic_metric_counters"),
        ("webhooks", "0005_created_at_one_index"),
        ("syncjobs", "0005_synced_records_id_default"),
        ("integrations", "0006_integration_fk_django_only"),
    ]

    operations = [migrations.RunPython(install, remove)]
