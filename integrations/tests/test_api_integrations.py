"""The integrations REST API: create, read, list (paged, filtered), replace and update with
every field. Its secrets, validation and soft delete: ``test_api_integration_secrets``,
``_validation`` and ``_delete``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory
from integrations.tests.integration_api_helpers import API_KEY, FULL_BODY, SECRETS, create

pytestmark = pytest.mark.django_db


def test_create_with_every_field(api_client: APIClient) -> None:
    response = api_client.post("/api/integrations", FULL_BODY, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    uuid.UUID(body["id"])
    for name in (
        "name",
        "code",
        "type",
        "provider",
        "status",
        "description",
        "api_endpoint",
        "webhook_url",
        "sync_interval_minutes",
        "auto_sync_enabled",
        "config",
        "metadata",
    ):
        assert body[name] == FULL_BODY[name], name
    assert datetime.fromisoformat(body["last_sync_at"]) == datetime.fromisoformat(
        FULL_BODY["last_sync_at"]
    )
    assert datetime.fromisoformat(body["next_sync_at"]) == datetime.fromisoformat(
        FULL_BODY["next_sync_at"]
    )
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(body["updated_at"]).tzinfo is not None
    assert body["has_api_key"] is body["has_api_secret"] is body["has_webhook_secret"] is True
    for name in ("api_key", "api_secret", "webhook_secret"):
        assert name not in body

    stored = Integration.objects.get(pk=body["id"])
    assert (stored.api_key, stored.api_secret, stored.webhook_secret) == SECRETS
    assert stored.config == FULL_BODY["config"]


def test_create_with_minimal_fields_uses_the_defaults(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/integrations",
        {"name": "Payme", "code": "payme", "type": "payment_gateway", "provider": "Payme"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "testing"
    assert body["webhook_url"] == "/api/webhooks/receive/payme"
    assert body["provider"] == "payme"
    assert body["has_api_key"] is body["has_api_secret"] is body["has_webhook_secret"] is False
    assert body["config"] == {}
    assert body["sync_interval_minutes"] == 0
    assert body["auto_sync_enabled"] is False
    assert body["next_sync_at"] is None


def test_retrieve_returns_every_field(api_client: APIClient) -> None:
    created = create(api_client)

    response = api_client.get(f"/api/integrations/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize("path", ["/api/integrations", "/api/integrations/"])
def test_list_is_paginated_with_and_without_trailing_slash(api_client: APIClient, path) -> None:
    IntegrationFactory.create_batch(3)

    response = api_client.get(path, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 2
    assert body["next"]
    second = api_client.get(body["next"])
    assert len(second.json()["results"]) == 1
    assert second.json()["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "erp"}, {"erp-one"}),
        ({"status": "inactive"}, {"gateway"}),
        ({"provider": "1c"}, {"erp-one"}),
        ({"provider": "1C"}, {"erp-one"}),
        ({"type": "payment_gateway", "status": "active"}, set()),
    ],
)
def test_list_filters(api_client: APIClient, query: dict, expected: set) -> None:
    IntegrationFactory(code="erp-one", type="erp", provider="1c", status="active")
    IntegrationFactory(code="gateway", type="payment_gateway", provider="payme", status="inactive")
    IntegrationFactory(code="rest-api", type="api", provider="rest", status="testing")

    response = api_client.get("/api/integrations", query)

    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} == expected


@pytest.mark.parametrize("query", [{"type": "fax"}, {"status": "broken"}])
def test_list_with_a_bad_filter_value_is_a_400_naming_it(api_client: APIClient, query) -> None:
    response = api_client.get("/api/integrations", query)

    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_put_replaces_every_field(api_client: APIClient) -> None:
    created = create(api_client)
    replacement: dict[str, Any] = {
        "name": "1C Samarkand",
        "code": "onec-samarkand",
        "type": "accounting",
        "provider": "1c",
        "status": "inactive",
        "description": "",
        "api_endpoint": "http://10.0.0.5/odata/standard.odata",
        "webhook_url": "/api/webhooks/receive/onec-samarkand",
        "sync_interval_minutes": 60,
        "last_sync_at": None,
        "next_sync_at": "2025-04-01T00:00:00Z",
        "auto_sync_enabled": False,
        "config": {"page_size": 50},
        "metadata": {},
    }

    response = api_client.put(f"/api/integrations/{created['id']}", replacement, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    for name, value in replacement.items():
        if name.endswith("_at") and value:
            assert datetime.fromisoformat(body[name]) == datetime.fromisoformat(value)
        else:
            assert body[name] == value, name
    # secrets absent from the PUT are kept
    assert body["has_api_key"] is body["has_api_secret"] is body["has_webhook_secret"] is True
    assert Integration.objects.get(pk=created["id"]).api_key == API_KEY


def test_patch_changes_only_what_it_names(api_client: APIClient) -> None:
    created = create(api_client)

    response = api_client.patch(
        f"/api/integrations/{created['id']}",
        {"next_sync_at": "2030-01-01T10:00:00+05:00", "status": "error"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "error"
    assert datetime.fromisoformat(body["next_sync_at"]) == datetime.fromisoformat(
        "2030-01-01T10:00:00+05:00"
    )
    assert body["name"] == created["name"]
    assert body["config"] == created["config"]
    assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(
        created["updated_at"]
    )


def test_unknown_and_malformed_ids_are_json_404(api_client: APIClient) -> None:
    for path in (f"/api/integrations/{uuid.uuid4()}", "/api/integrations/not-a-uuid"):
        response = api_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]
