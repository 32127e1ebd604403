"""Swagger UI groups the endpoints by app (one tag each), not all under "api"."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

EXPECTED = {
    "/api/integrations": "integrations",
    "/api/integration-logs": "integrations",
    "/api/webhooks": "webhooks",
    "/api/webhooks/receive/{code}": "webhooks",
    "/api/sync-jobs": "sync jobs",
    "/api/synced-records": "sync jobs",
    "/api/integrations/{id}/sync": "sync jobs",
    "/api/payment-invoices": "payments",
    "/api/payment-transactions": "payments",
}


def test_every_operation_is_tagged_with_its_app(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = {path.rstrip("/"): item for path, item in schema["paths"].items()}

    tags = {
        tag
        for item in paths.values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
        for tag in operation["tags"]
    }

    assert "api" not in tags
    assert {"integrations", "webhooks", "sync jobs", "payments"} <= tags
    for path, tag in EXPECTED.items():
        operations = [op for m, op in paths[path].items() if m in ("get", "post")]
        assert operations, path
        assert all(op["tags"] == [tag] for op in operations), (path, operations[0]["tags"])
    described = {entry["name"] for entry in schema.get("tags", [])}
    assert tags <= described
