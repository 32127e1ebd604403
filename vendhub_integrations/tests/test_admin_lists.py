"""The admin lists as an operator reads them: what matters first and visible, history that cannot
be deleted, readable log titles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from syncjobs.models import SyncedRecord
from syncjobs.tests.factories import SyncJobFactory
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def action_names(page: str) -> set[str]:
    import re

    return set(re.findall(r'<option value="(\w+)">', page))


@pytest.mark.parametrize(
    "path", ["integrations/integrationlog", "syncjobs/syncjob", "syncjobs/syncedrecord"]
)
def test_history_cannot_be_deleted_from_the_admin(admin_client: Client, path: str) -> None:
    integration = IntegrationFactory()
    row: Any = {  # a row of whichever model the path names
        "integrations/integrationlog": lambda: IntegrationLogFactory(integration=integration),
        "syncjobs/syncjob": lambda: SyncJobFactory(integration=integration),
        "syncjobs/syncedrecord": lambda: SyncedRecord.objects.create(
            integration=integration,
            entity="products",
            external_id="1",
            data={},
            first_synced_at=timezone.now(),
            last_synced_at=timezone.now(),
        ),
    }[path]()

    listing = admin_client.get(f"/admin/{path}/").content.decode()
    assert "delete_selected" not in action_names(listing)
    assert admin_client.post(f"/admin/{path}/{row.pk}/delete/").status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_webhooks_can_still_be_deleted_as_in_the_api(admin_client: Client) -> None:
    WebhookFactory()

    listing = admin_client.get("/admin/webhooks/webhook/").content.decode()

    assert {"delete_selected", "retry_selected"} <= action_names(listing)


def test_webhook_list_shows_status_code_and_tries(admin_client: Client) -> None:
    WebhookFactory(
        integration=IntegrationFactory(code="click"),
        status="failed",
        retry_count=3,
        max_retries=3,
        attempt_count=4,
        error_message="forward failed: HTTP 502 (gave up after 4 attempts)",
    )

    listing = admin_client.get("/admin/webhooks/webhook/").content.decode()

    assert "Failed" in listing
    assert ">click<" in listing
    # The tries made (the first and three retries), as error_message counts them.
    assert 'field-retries">4<' in listing
    assert "forward failed: HTTP 502" in listing


def test_sync_job_list_shows_counts_duration_and_no_misleading_percentage(
    admin_client: Client,
) -> None:
    integration = IntegrationFactory(code="erp")
    now = timezone.now()
    SyncJobFactory(
        integration=integration,
        status="cancelled",
        started_at=now - timedelta(seconds=75),
        completed_at=now,
        records_processed=2200,
        metadata={
            "progress": {
                "entity_count": 1,
                "percent": 0,
                "message": "products (1/1): page 11, 2200 read",
            }
        },
    )

    listing = admin_client.get("/admin/syncjobs/syncjob/").content.decode()

    assert "products (1/1): page 11, 2200 read" in listing
    assert "0% ·" not in listing
    assert "2200 read · 0 created · 0 updated · 0 failed" in listing
    assert "1m 15s" in listing
    # Jobs can be narrowed to one integration, as in the API.
    SyncJobFactory(integration=IntegrationFactory(code="other"))
    listing = admin_client.get("/admin/syncjobs/syncjob/").content.decode()
    assert f"integration__id__exact={integration.pk}" in listing


def test_integration_log_title_is_readable() -> None:
    log = IntegrationLogFactory(
        endpoint="GET http://1c.local/odata/Catalog_%D0%9D%D0%BE%D0%BC?$top=500",
        status_code=None,
    )

    assert (
        str(log)
        == "outbound test_connection GET http://1c.local/odata/Catalog_Ном?$top=500 (no answer)"
    )


def test_log_list_can_be_filtered_by_integration(admin_client: Client) -> None:
    log = IntegrationLogFactory(integration=IntegrationFactory(code="erp"))
    IntegrationLogFactory(integration=IntegrationFactory(code="other"))

    listing = admin_client.get("/admin/integrations/integrationlog/").content.decode()

    assert f"integration__id__exact={log.integration_id}" in listing
