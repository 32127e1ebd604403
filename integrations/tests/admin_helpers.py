"""What the integration admin tests share: the secrets they type, the admin's changelist URLs,
a valid add/change form, and the check that a page shows no secret (plaintext or ciphertext)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from integrations.models import Integration

API_KEY = "admin-api-key-31f0c6"
API_SECRET = "admin-api-secret-8e2a"
WEBHOOK_SECRET = "admin-webhook-secret-b5d9"
SECRETS = (API_KEY, API_SECRET, WEBHOOK_SECRET)

CHANGELISTS = {
    "integration": "/admin/integrations/integration/",
    "integrationlog": "/admin/integrations/integrationlog/",
    "webhook": "/admin/webhooks/webhook/",
    "syncjob": "/admin/syncjobs/syncjob/",
}


def stored_ciphertexts(integration: Integration) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key, api_secret, webhook_secret FROM integrations WHERE id = %s",
            [integration.pk],
        )
        return [value for value in cursor.fetchone() if value]


def assert_no_secret(content: bytes, ciphertexts: Sequence[str] = ()) -> None:
    text = content.decode()
    for secret in SECRETS:
        assert secret not in text
    assert "enc:v1:" not in text
    for ciphertext in ciphertexts:
        assert ciphertext.rsplit(":", 1)[1] not in text


def form_data(**changes: str) -> dict:
    data = {
        "name": "Click gateway",
        "code": "click-main",
        "type": "payment_gateway",
        "provider": "Click",
        "status": "testing",
        "description": "",
        "api_endpoint": "https://api.click.uz/v2/merchant",
        "webhook_url": "",
        "sync_interval_minutes": "0",
        "next_sync_at_0": "",
        "next_sync_at_1": "",
        "config": '{"service_id": "101"}',
        "metadata": "{}",
        "api_key_input": "",
        "api_secret_input": "",
        "webhook_secret_input": "",
        "_save": "Save",
    }
    data.update(changes)
    return data
