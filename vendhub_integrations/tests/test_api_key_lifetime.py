"""API keys that expire (``create_api_key --expires-in-days N``) or are revoked in the admin are
refused at once, on reads and writes alike."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

pytestmark = pytest.mark.django_db

DENIED = (401, 403)
WRITE = {"name": "ERP", "code": "erp-key-test", "type": "erp", "provider": "rest"}


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_a_key_made_to_expire_works_until_then_and_is_refused_after() -> None:
    out = StringIO()
    call_command(
        "create_api_key", "for-a-day", "--expires-in-days", "1", stdout=out, stderr=StringIO()
    )
    client = key_client(out.getvalue().splitlines()[-1])
    assert client.get("/api/integrations").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59)):
        assert client.get("/api/integrations").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert client.get("/api/integrations").status_code in DENIED
        assert client.post("/api/integrations", WRITE, format="json").status_code in DENIED
        assert client.get("/api/schema/").status_code == 200  # the schema needs no key


def test_a_key_revoked_in_the_admin_is_refused_at_once(admin_client) -> None:
    api_key, key = APIKey.objects.create_key(name="vendhub-backend")
    client = key_client(key)
    assert client.get("/api/webhooks").status_code == 200

    page = f"/admin/rest_framework_api_key/apikey/{api_key.pk}/change/"
    assert admin_client.get(page).status_code == 200
    response = admin_client.post(
        page, {"name": "vendhub-backend", "revoked": "on", "expiry_date": ""}, follow=True
    )
    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked is True

    assert client.get("/api/webhooks").status_code in DENIED
    assert client.post("/api/integrations", WRITE, format="json").status_code in DENIED
    # Another key is not affected.
    _, other = APIKey.objects.create_key(name="other")
    assert key_client(other).get("/api/webhooks").status_code == 200
