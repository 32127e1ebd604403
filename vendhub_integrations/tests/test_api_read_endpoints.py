"""The read endpoints: webhooks (list, get, delete), sync jobs (list, get) and integration logs
(list, get): pagination, every filter of the contract, and 400s for bad filter values."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from syncjobs.tests.factories import SyncJobFactory
from webhooks.models import Webhook
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

FACTORIES: dict[str, Callable[..., Any]] = {
    "/api/webhooks": WebhookFactory,
    "/api/sync-jobs": functools.partial(SyncJobFactory, status="completed"),
    "/api/integration-logs": IntegrationLogFactory,
}
JANUARY = datetime.fromisoformat("2025-01-10T12:00:00+05:00")
FEBRUARY = datetime.fromisoformat("2025-02-10T12:00:00+05:00")
MARCH = datetime.fromisoformat("2025-03-10T12:00:00+05:00")


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Pagination and detail ------------------------------------------------------------------


@pytest.mark.parametrize("path", FACTORIES)
def test_list_is_paginated_newest_first(api_client: APIClient, path: str) -> None:
    integration = IntegrationFactory()
    rows = []
    for moment in (JANUARY, FEBRUARY, MARCH):
        with time_machine.travel(moment, tick=False):
            rows.append(FACTORIES[path](integration=integration))

    first = api_client.get(path, {"page_size": 2})
    second = api_client.get(first.json()["next"])

    assert ids(first) == [str(rows[2].pk), str(rows[1].pk)]
    assert first.json()["next"]
    assert ids(second) == [str(rows[0].pk)]
    assert second.json()["next"] is None


@pytest.mark.parametrize("path", FACTORIES)
def test_detail_and_404(api_client: APIClient, path: str) -> None:
    row: Any = FACTORIES[path]()  # a webhook, sync job or log: each has integration_id

    detail = api_client.get(f"{path}/{row.pk}")
    missing = api_client.get(f"{path}/{uuid.uuid4()}")
    malformed = api_client.get(f"{path}/not-a-uuid")

    assert detail.status_code == 200
    assert detail.json()["id"] == str(row.pk)
    assert detail.json()["integration_id"] == str(row.integration_id)
    assert datetime.fromisoformat(detail.json()["created_at"]).tzinfo is not None
    assert missing.status_code == 404
    assert missing.json()["detail"]
    assert malformed.status_code == 404


def test_webhook_detail_shows_the_stored_delivery(api_client: APIClient) -> None:
    webhook = WebhookFactory(
        payload={"id": "evt_1", "amount": 15000, "nested": {"secret_note": "kept as received"}},
        headers={"Content-Type": "application/json", "X-Signature": "abc"},
        status="failed",
        retry_count=3,
        error_message="HTTP 502 from forward_url",
        signature="abc",
        signature_verified=True,
    )

    body = api_client.get(f"/api/webhooks/{webhook.pk}").json()

    assert body["payload"] == webhook.payload
    assert body["headers"] == webhook.headers
    assert body["status"] == "failed"
    assert body["retry_count"] == 3
    assert body["error_message"] == "HTTP 502 from forward_url"
    assert body["signature_verified"] is True
    assert body["event_type"] == "order.created"
    assert body["external_id"] == webhook.external_id


def test_sync_job_detail_shows_its_counts(api_client: APIClient) -> None:
    job = SyncJobFactory(
        status="completed",
        job_type="sync_products",
        records_processed=10,
        records_created=4,
        records_updated=3,
        records_failed=1,
        metadata={"entities": {"products": {"processed": 10}}},
    )

    body = api_client.get(f"/api/sync-jobs/{job.pk}").json()

    assert body["job_type"] == "sync_products"
    assert body["status"] == "completed"
    assert (
        body["records_processed"],
        body["records_created"],
        body["records_updated"],
        body["records_failed"],
    ) == (10, 4, 3, 1)
    assert body["metadata"] == job.metadata


def test_webhook_delete_removes_it(api_client: APIClient) -> None:
    webhook = WebhookFactory()
    other = WebhookFactory()

    response = api_client.delete(f"/api/webhooks/{webhook.pk}")

    assert response.status_code == 204
    assert api_client.get(f"/api/webhooks/{webhook.pk}").status_code == 404
    assert ids(api_client.get("/api/webhooks")) == [str(other.pk)]
    assert api_client.delete(f"/api/webhooks/{webhook.pk}").status_code == 404


def test_webhook_without_an_integration_is_listed(api_client: APIClient) -> None:
    webhook = WebhookFactory(integration=None, source="unknown")

    body = api_client.get(f"/api/webhooks/{webhook.pk}").json()

    assert body["integration_id"] is None
    assert ids(api_client.get("/api/webhooks")) == [str(webhook.pk)]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_integration_logs_are_read_only(api_client: APIClient, method: str) -> None:
    log = IntegrationLogFactory()
    path = "/api/integration-logs" if method == "post" else f"/api/integration-logs/{log.pk}"

    response = getattr(api_client, method)(path, {"action": "forged"}, format="json")

    assert response.status_code == 405
    assert api_client.get(f"/api/integration-logs/{log.pk}").json()["action"] == log.action


# --- Filters --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FACTORIES)
def test_filter_by_integration_includes_a_soft_deleted_one(api_client: APIClient, path) -> None:
    deleted = IntegrationFactory()
    live = IntegrationFactory()
    kept = FACTORIES[path](integration=deleted)
    FACTORIES[path](integration=live)
    assert api_client.delete(f"/api/integrations/{deleted.pk}").status_code == 204

    response = api_client.get(path, {"integration": str(deleted.pk)})
    unknown = api_client.get(path, {"integration": str(uuid.uuid4())})

    assert ids(response) == [str(kept.pk)]
    assert ids(unknown) == []


@pytest.mark.parametrize("path", ["/api/webhooks", "/api/integration-logs"])
def test_filter_by_created_after_and_before(api_client: APIClient, path: str) -> None:
    rows = {}
    for name, moment in (("jan", JANUARY), ("feb", FEBRUARY), ("mar", MARCH)):
        with time_machine.travel(moment, tick=False):
            rows[name] = str(FACTORIES[path]().pk)

    after = api_client.get(path, {"created_after": "2025-02-01T00:00:00+05:00"})
    before = api_client.get(path, {"created_before": "2025-02-01T00:00:00Z"})
    between = api_client.get(
        path, {"created_after": "2025-02-01T00:00:00Z", "created_before": "2025-03-01T00:00:00Z"}
    )
    inclusive = api_client.get(
        path, {"created_after": FEBRUARY.isoformat(), "created_before": FEBRUARY.isoformat()}
    )

    assert ids(after) == [rows["mar"], rows["feb"]]
    assert ids(before) == [rows["jan"]]
    assert ids(between) == [rows["feb"]]
    assert ids(inclusive) == [rows["feb"]]


@pytest.mark.parametrize(
    ("attributes", "query"),
    [
        ({"status": "failed"}, {"status": "failed"}),
        ({"event_type": "payment.completed"}, {"event_type": "payment.completed"}),
        ({"source": "stripe"}, {"source": "stripe"}),
    ],
)
def test_webhook_filters(api_client: APIClient, attributes: dict, query: dict) -> None:
    wanted = WebhookFactory(**attributes)
    WebhookFactory(status="completed", event_type="order.created", source="github")

    assert ids(api_client.get("/api/webhooks", query)) == [str(wanted.pk)]


@pytest.mark.parametrize(
    ("attributes", "query"),
    [
        ({"status": "failed"}, {"status": "failed"}),
        ({"job_type": "sync_products"}, {"job_type": "sync_products"}),
    ],
)
def test_sync_job_filters(api_client: APIClient, attributes: dict, query: dict) -> None:
    wanted = SyncJobFactory(**attributes)
    SyncJobFactory(status="completed", job_type="manual_sync")

    assert ids(api_client.get("/api/sync-jobs", query)) == [str(wanted.pk)]


@pytest.mark.parametrize(
    ("attributes", "query"),
    [
        ({"direction": "inbound"}, {"direction": "inbound"}),
        ({"action": "webhook_receive"}, {"action": "webhook_receive"}),
        ({"status_code": 502}, {"status_code": "502"}),
    ],
)
def test_integration_log_filters(api_client: APIClient, attributes: dict, query: dict) -> None:
    wanted = IntegrationLogFactory(**attributes)
    IntegrationLogFactory(direction="outbound", action="test_connection", status_code=200)

    assert ids(api_client.get("/api/integration-logs", query)) == [str(wanted.pk)]


def test_filters_combine(api_client: APIClient) -> None:
    integration = IntegrationFactory()
    wanted = WebhookFactory(integration=integration, status="failed")
    WebhookFactory(integration=integration, status="completed")
    WebhookFactory(status="failed")

    response = api_client.get(
        "/api/webhooks", {"integration": str(integration.pk), "status": "failed"}
    )

    assert ids(response) == [str(wanted.pk)]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/webhooks", {"integration": "not-a-uuid"}),
        ("/api/webhooks", {"status": "exploded"}),
        ("/api/webhooks", {"created_after": "last tuesday"}),
        ("/api/webhooks", {"created_before": "2025-13-45"}),
        ("/api/sync-jobs", {"integration": "12345"}),
        ("/api/sync-jobs", {"status": "paused"}),
        ("/api/integration-logs", {"integration": "not-a-uuid"}),
        ("/api/integration-logs", {"direction": "sideways"}),
        ("/api/integration-logs", {"status_code": "two hundred"}),
        ("/api/integration-logs", {"created_after": "yesterday"}),
        ("/api/integration-logs", {"action": "nul\x00"}),
        ("/api/webhooks", {"event_type": "\x00"}),
        ("/api/webhooks", {"search": "nul\x00"}),
        ("/api/integration-logs", {"search": "\x00"}),
        ("/api/integrations", {"search": "\x00"}),
    ],
)
def test_bad_filter_value_is_a_400_naming_the_field(api_client, path: str, query: dict) -> None:
    IntegrationLogFactory()

    response = api_client.get(path, query)

    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == list(query), body
    assert body[next(iter(query))]


def test_webhook_delete_leaves_its_integration_and_other_webhooks(api_client: APIClient) -> None:
    integration = IntegrationFactory()
    webhooks = WebhookFactory.create_batch(2, integration=integration)

    api_client.delete(f"/api/webhooks/{webhooks[0].pk}")

    assert api_client.get(f"/api/integrations/{integration.pk}").status_code == 200
    assert list(Webhook.objects.values_list("pk", flat=True)) == [webhooks[1].pk]


@pytest.mark.parametrize(
    ("path", "attributes", "term"),
    [
        ("/api/webhooks", {"event_type": "payment.completed"}, "payment.comp"),
        ("/api/webhooks", {"external_id": "evt_unique_42"}, "unique_42"),
        ("/api/integration-logs", {"error_message": "HTTP 502 from 1C"}, "502 from"),
        ("/api/integration-logs", {"endpoint": "https://erp.uz/odata/Catalog"}, "Catalog"),
    ],
)
def test_search(api_client: APIClient, path: str, attributes: dict, term: str) -> None:
    wanted = FACTORIES[path](**attributes)
    FACTORIES[path]()

    assert ids(api_client.get(path, {"search": term})) == [str(wanted.pk)]
