"""What the integrations API tests share: a body with every field (and its secrets), a
create through the API, and the checks that a response shows no secret and what the database
holds in the secret columns."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from rest_framework.test import APIClient

API_KEY = "plain-api-key-4b1d7e"
API_SECRET = "plain-api-secret-93ac0f"
WEBHOOK_SECRET = "plain-webhook-secret-e7d2"
SECRETS = (API_KEY, API_SECRET, WEBHOOK_SECRET)

FULL_BODY: dict[str, Any] = {
    "name": "1C Tashkent",
    "code": "onec-tashkent_01",
    "type": "erp",
    "provider": "1c",
    "status": "active",
    "description": "Main ERP of the Tashkent depot",
    "api_endpoint": "https://erp.example.uz/base/odata/standard.odata",
    "api_key": API_KEY,
    "api_secret": API_SECRET,
    "webhook_url": "https://hub.example.uz/api/webhooks/receive/onec-tashkent_01",
    "webhook_secret": WEBHOOK_SECRET,
    "sync_interval_minutes": 15,
    "last_sync_at": "2025-03-01T08:00:00+05:00",
    "next_sync_at": "2025-03-01T08:15:00+05:00",
    "auto_sync_enabled": True,
    "config": {"mapping": {"products": "Catalog_Номенклатура"}, "page_size": 200},
    "metadata": {"owner": "ops"},
}


def stored_columns(integration_id: uuid.UUID | str) -> str:
    """Every secret column of one row as the database holds it, joined into one string."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(api_key, '') || coalesce(api_secret, '') "
            "|| coalesce(webhook_secret, '') FROM integrations WHERE id = %s",
            [integration_id],
        )
        columns: str = cursor.fetchone()[0]
        return columns


def assert_no_secret_in(content: bytes, *, ciphertext: str = "") -> None:
    text = content.decode()
    for secret in SECRETS:
        assert secret not in text
    assert "enc:v1:" not in text
    if ciphertext:
        for part in ciphertext.split("enc:v1:"):
            if part:
                assert part not in text


def create(client: APIClient, **changes: object) -> dict:
    response = client.post("/api/integrations", {**FULL_BODY, **changes}, format="json")
    assert response.status_code == 201, response.content
    body: dict = response.json()
    return body
