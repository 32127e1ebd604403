"""Operator actions in the admin: test connection and trigger sync on integrations, cancel on
jobs; the job list shows progress and counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.test import Client

from core.testing.onec_server import ODataServer
from integrations.models import Integration
from syncjobs.models import SyncJob
from syncjobs.tests.factories import SyncJobFactory

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse  # the stubs' test-client response

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_trigger_sync_and_test_connection_from_the_integration_list(
    admin_browser: Client, onec_integration: Integration, onec_server: ODataServer
) -> None:
    def run_action(name: str) -> _MonkeyPatchedWSGIResponse:
        return admin_browser.post(
            "/admin/integrations/integration/",
            {"action": name, "_selected_action": [str(onec_integration.pk)]},
            follow=True,
        )

    response = run_action("trigger_sync")
    assert response.status_code == 200
    job = SyncJob.objects.get(integration=onec_integration)
    assert job.status == "pending" and job.metadata["requested_by"] == "admin"
    assert "queued" in response.content.decode()

    assert "already active" in run_action("trigger_sync").content.decode()

    assert "Connected" in run_action("test_connection").content.decode()
    onec_integration.refresh_from_db()
    assert onec_integration.metadata["last_test_ok"] is True


def test_cancel_from_the_job_list_and_the_list_shows_progress(
    admin_browser: Client, onec_integration: Integration
) -> None:
    running = SyncJobFactory(
        integration=onec_integration,
        status="running",
        records_processed=1500,
        metadata={"progress": {"percent": 40, "message": "products (1/1): page 3, 1500 read"}},
    )
    finished = SyncJobFactory(integration=onec_integration, status="completed")

    listing = admin_browser.get("/admin/syncjobs/syncjob/").content.decode()
    assert "40% · products (1/1): page 3, 1500 read" in listing
    admin_browser.post(
        "/admin/syncjobs/syncjob/",
        {"action": "cancel_jobs", "_selected_action": [str(running.pk), str(finished.pk)]},
    )
    running.refresh_from_db()
    finished.refresh_from_db()
    assert running.status == "cancelled" and finished.status == "completed"
    assert admin_browser.get("/admin/syncjobs/syncedrecord/").status_code == 200
