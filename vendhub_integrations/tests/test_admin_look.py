"""What every admin page shares: times with seconds and their time zone named, long values that
wrap, and header links that lead somewhere."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from integrations.tests.factories import IntegrationFactory
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_times_have_seconds_and_the_time_zone_is_named(admin_client: Client) -> None:
    with time_machine.travel("2025-02-10T12:00:05+05:00", tick=False):
        webhook = WebhookFactory(integration=IntegrationFactory(code="payme"))

    listing = admin_client.get("/admin/webhooks/webhook/").content.decode()
    detail = admin_client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").content.decode()

    assert "2025-02-10 12:00:05" in listing
    assert "2025-02-10 12:00:05" in detail
    assert "Times in Asia/Tashkent" in listing


def test_header_links_to_the_api_docs_and_health_not_to_a_missing_site(
    admin_client: Client,
) -> None:
    page = admin_client.get("/admin/").content.decode()

    assert 'href="/api/docs/"' in page
    assert 'href="/healthz"' in page
    assert "View site" not in page


def test_long_json_strings_wrap_inside_the_page(admin_client: Client) -> None:
    webhook = WebhookFactory(payload={"description": "x" * 2000})

    page = admin_client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").content.decode()

    assert "overflow-wrap: anywhere" in page
