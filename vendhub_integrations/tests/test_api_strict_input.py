"""Input the schema calls wrong is refused with a 400 naming it, not ignored: a page size that is
not a whole number from 1 to 500, a boolean filter that is not true/false, an empty typed filter,
a fractional status code, and JSON values of the wrong type in a body."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/webhooks?page_size=abc", "page_size"),
        ("/api/integrations?page_size=0", "page_size"),
        ("/api/payment-invoices?page_size=501", "page_size"),
        ("/api/synced-records?is_deleted=maybe", "is_deleted"),
        ("/api/integrations?auto_sync_enabled=1", "auto_sync_enabled"),
        ("/api/synced-records?synced_after=", "synced_after"),
        ("/api/webhooks?created_after=", "created_after"),
        ("/api/integration-logs?status_code=0.5", "status_code"),
        ("/api/sync-jobs?status=", "status"),
    ],
)
def test_a_wrong_query_parameter_is_a_400_naming_it(
    api_client: APIClient, path: str, name: str
) -> None:
    response = api_client.get(path)

    assert response.status_code == 400, response.content
    assert name in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/webhooks?page_size=500",
        "/api/synced-records?is_deleted=false",
        "/api/integration-logs?status_code=200",
        "/api/webhooks?created_after=2026-01-01T00:00:00%2B05:00",
    ],
)
def test_right_query_parameters_still_work(api_client: APIClient, path: str) -> None:
    assert api_client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("auto_sync_enabled", 0), ("auto_sync_enabled", "yes"), ("name", 5), ("config", None),
     ("config", [1]), ("provider", "   "), ("webhook_secret", 12345)],
)  # fmt: skip
def test_a_wrong_json_type_in_a_body_is_a_400_naming_it(
    api_client: APIClient, field: str, value: object
) -> None:
    body = {"name": "ERP", "code": "erp", "type": "erp", "provider": "rest", field: value}

    response = api_client.post("/api/integrations", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_an_invoice_with_a_number_for_order_id_is_a_400(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/payment-invoices", {"order_id": 1001, "amount": 100}, format="json"
    )

    assert response.status_code == 400
    assert "order_id" in response.json()
