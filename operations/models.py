"""Monotonic totals behind ``/metrics``.

A counter must never go down, and a scrape must not aggregate tables of millions of rows, so the
totals are kept as they happen: database triggers (``operations.counting``, installed by this
app's migrations) add to these rows in the same transaction as the change they count, whoever
makes it (the receive's one prepared statement, the worker, the admin, another branch's code).
A rolled-back change counts nothing; a retention pass, a ``DELETE`` or a manual retry (which
sets ``retry_count`` back to 0) takes nothing away.

Rows are sharded by the writer's database connection (``pg_backend_pid() % SHARDS`` on
PostgreSQL; one shard on SQLite, which has one writer at a time): concurrent receives in
different processes add to different rows instead of queueing on one row's lock. A scrape sums
the shards: a few thousand rows at most, whatever the size of the counted tables.
"""

from __future__ import annotations

from django.db import models

SHARDS = 32


class MetricCounter(models.Model):
    """One shard of one counter: ``metric`` for ``integration_key`` (the integration's id as the
    database writes it as text, "" for none) and ``label`` (an event type, or "")."""

    metric = models.CharField(max_length=64)
    integration_key = models.CharField(max_length=36, default="")
    label = models.CharField(max_length=255, default="")
    shard = models.IntegerField(default=0)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "metric_counters"
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "integration_key", "label", "shard"], name="metric_counters_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric}[{self.integration_key},{self.label},{self.shard}] = {self.value}"


# Upper bounds of the outbound duration histogram's buckets, in milliseconds.
DURATION_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)


class DurationCounter(models.Model):
    """One shard of the outbound call duration histogram of one (integration, action): how many
    calls, their summed milliseconds, and per bucket how many took at most its bound."""

    integration_key = models.CharField(max_length=36, default="")
    action = models.CharField(max_length=64)
    shard = models.IntegerField(default=0)
    count = models.BigIntegerField(default=0)
    sum_ms = models.BigIntegerField(default=0)
    le_5 = models.BigIntegerField(default=0)
    le_10 = models.BigIntegerField(default=0)
    le_25 = models.BigIntegerField(default=0)
    le_50 = models.BigIntegerField(default=0)
    le_100 = models.BigIntegerField(default=0)
    le_250 = models.BigIntegerField(default=0)
    le_500 = models.BigIntegerField(default=0)
    le_1000 = models.BigIntegerField(default=0)
    le_2500 = models.BigIntegerField(default=0)
    le_5000 = models.BigIntegerField(default=0)
    le_10000 = models.BigIntegerField(default=0)
    le_30000 = models.BigIntegerField(default=0)
    le_60000 = models.BigIntegerField(default=0)

    class Meta:
        db_table = "metric_durations"
        constraints = [
            models.UniqueConstraint(
                fields=["integration_key", "action", "shard"], name="metric_durations_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action}[{self.integration_key},{self.shard}]: {self.count} calls"
