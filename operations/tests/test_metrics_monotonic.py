"""``/metrics`` counters only go up: they are totals kept by triggers in the transaction of the
change they count (``operations.models``), so a manual retry, a ``DELETE`` or a retention pass
takes nothing away, a rolled-back change adds nothing, and every path that writes (the receive's
prepared statement included) is counted. The queue depth is a sample even on a fresh hub."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from integrations.models import Integration, IntegrationLog
from integrations.services import integration_log_purge
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from operations.models import SHARDS, MetricCounter
from syncjobs.models import SyncJob
from syncjobs.tests.factories import SyncJobFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import webhook_retry
from webhooks.services.retention import webhook_purge
from webhooks.tests.factories import WebhookFactory
from webhooks.tests.helpers import SECRET, post_signed

pytestmark = pytest.mark.django_db


def scrape(client: APIClient) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def labels(**values: str) -> frozenset:
    return frozenset(values.items())


@pytest.fixture
def shop() -> Integration:
    return IntegrationFactory(code="shop", webhook_secret=SECRET, provider="erp")


PAID = labels(integration="shop", event_type="order.paid")


def test_a_manual_retry_does_not_lower_the_retries_made(api_client: APIClient, shop) -> None:
    webhook = WebhookFactory(
        integration=shop, event_type="order.paid", status=WebhookStatus.FAILED, retry_count=3
    )
    assert scrape(api_client)[("vendhub_webhooks_retried_total", PAID)] == 3

    webhook_retry(webhook=webhook)  # back to pending, retry_count 0

    samples = scrape(api_client)
    assert samples[("vendhub_webhooks_retried_total", PAID)] == 3
    assert samples[("vendhub_webhooks_failed_total", PAID)] == 1
    # Its next automatic retry adds one more.
    Webhook.objects.filter(pk=webhook.pk).update(retry_count=1)
    assert scrape(api_client)[("vendhub_webhooks_retried_total", PAID)] == 4


def test_delete_and_retention_take_nothing_away(api_client: APIClient, shop) -> None:
    kept = WebhookFactory(integration=shop, event_type="order.paid", status="completed")
    old = WebhookFactory(integration=shop, event_type="order.paid", status="completed")
    WebhookFactory(integration=shop, event_type="order.paid", status="ignored")
    long_ago = timezone.now() - timedelta(days=400)
    Webhook.objects.filter(pk=old.pk).update(created_at=long_ago, updated_at=long_ago)
    IntegrationLogFactory(integration=shop, action="forward", duration_ms=30)
    old_log = IntegrationLogFactory(integration=shop, action="forward", duration_ms=3000)
    IntegrationLog.objects.filter(pk=old_log.pk).update(created_at=long_ago)
    before = scrape(api_client)
    calls = (
        "vendhub_outbound_call_duration_seconds_count",
        labels(integration="shop", action="forward"),
    )
    assert before[("vendhub_webhooks_received_total", PAID)] == 3
    assert before[calls] == 2

    assert api_client.delete(f"/api/webhooks/{kept.pk}").status_code == 204
    assert webhook_purge(older_than_days=90).deleted == 1
    assert integration_log_purge(older_than_days=30).deleted == 1
    Webhook.objects.all().delete()  # even an operator's bulk delete

    after = scrape(api_client)
    for name in ("received", "processed", "ignored"):
        key = (f"vendhub_webhooks_{name}_total", PAID)
        assert after[key] == before[key], name
    assert after[("vendhub_webhooks_processed_total", PAID)] == 2
    assert after[calls] == 2
    assert after[("vendhub_outbound_call_duration_seconds_sum", calls[1])] == pytest.approx(3.03)


def test_a_rolled_back_change_counts_nothing(api_client: APIClient, shop) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        WebhookFactory(integration=shop, event_type="order.paid")
        raise RuntimeError("the request failed after the insert")

    assert ("vendhub_webhooks_received_total", PAID) not in scrape(api_client)
    assert not MetricCounter.objects.exists()


def test_sync_records_only_add_up(api_client: APIClient, shop) -> None:
    job = SyncJobFactory(integration=shop, records_processed=10, records_created=10)
    SyncJob.objects.filter(pk=job.pk).update(records_processed=25, records_updated=5)
    job.delete()

    samples = scrape(api_client)

    outcome = {
        name: samples[("vendhub_sync_records_total", labels(integration="shop", outcome=name))]
        for name in ("created", "updated", "unchanged", "failed")
    }
    assert outcome == {"created": 10, "updated": 5, "unchanged": 10, "failed": 0}


@pytest.mark.django_db(transaction=True)
def test_the_receive_paths_are_counted(api_client: APIClient, shop, monkeypatch) -> None:
    """Deliveries stored by the kept integration's one prepared statement and those stored
    through the ORM (a bad signature's ignored row) are each counted once."""
    monkeypatch.setattr("webhooks.services.enqueue.webhook_enqueue", lambda **kwargs: True)
    monkeypatch.setattr("webhooks.services.receive.webhook_enqueue", lambda **kwargs: True)
    monkeypatch.setattr("webhooks.services.receive_kept.webhook_enqueue", lambda **kw: True)
    client = Client()
    for number in range(3):
        response = post_signed(client, "shop", {"id": f"d-{number}", "type": "order.paid"})
        assert response.status_code == 202, response.content
    refused = post_signed(client, "shop", {"id": "bad", "type": "order.paid"}, secret="wrong")
    assert refused.status_code == 401

    samples = scrape(api_client)

    assert samples[("vendhub_webhooks_received_total", PAID)] == 4
    assert samples[("vendhub_webhooks_ignored_total", PAID)] == 1
    assert samples[("vendhub_webhooks_pending", labels(integration="shop"))] == 3


def test_counters_are_sharded_by_the_writing_connection(shop) -> None:
    WebhookFactory(integration=shop, event_type="order.paid")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()

    (row,) = MetricCounter.objects.filter(metric="webhooks_received")

    assert row.shard == pid % SHARDS
    assert (row.integration_key, row.label, row.value) == (str(shop.pk), "order.paid", 1)


def test_pending_depth_is_a_sample_on_a_fresh_hub(api_client: APIClient) -> None:
    samples = scrape(api_client)
    assert samples[("vendhub_webhooks_pending", labels(integration=""))] == 0

    IntegrationFactory(code="idle")
    samples = scrape(api_client)
    assert samples[("vendhub_webhooks_pending", labels(integration="idle"))] == 0
    assert samples[("vendhub_webhooks_processing", labels(integration="idle"))] == 0


def test_a_scrape_reads_no_big_table_whole(api_client: APIClient, shop) -> None:
    WebhookFactory.create_batch(3, integration=shop)
    IntegrationLogFactory(integration=shop)

    with CaptureQueriesContext(connection) as queries:
        scrape(api_client)

    for query in queries.captured_queries:
        sql = query["sql"]
        assert 'FROM "integration_logs"' not in sql, sql
        if 'FROM "webhooks"' in sql:
            assert '"webhooks"."status" IN' in sql, sql  # through the status index
