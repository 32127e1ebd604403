"""The HTTP API of the sync engine: test connection, start a sync, cancel, synced records."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.testing.onec_server import PASSWORD, ODataServer
from integrations.models import Integration, IntegrationLog
from integrations.tests.factories import IntegrationFactory
from syncjobs.engine import sync_job_execute
from syncjobs.models import SyncJob
from syncjobs.tests.factories import SyncedRecordFactory, SyncJobFactory

pytestmark = pytest.mark.django_db


def test_sync_answers_202_with_the_pending_job_and_wakes_a_worker_after_commit(
    api_client: APIClient, onec_integration: Integration, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(f"/api/integrations/{onec_integration.pk}/sync", {}, "json")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["job_type"] == "manual_sync"
    assert body["integration_id"] == str(onec_integration.pk)
    assert SyncJob.objects.get(pk=body["id"]).status == "pending"
    assert len(callbacks) == 1


def test_a_second_sync_is_409_naming_the_active_job(
    api_client: APIClient, onec_integration: Integration
) -> None:
    first = api_client.post(f"/api/integrations/{onec_integration.pk}/sync")
    second = api_client.post(
        f"/api/integrations/{onec_integration.pk}/sync", {"job_type": "full_sync"}, "json"
    )

    assert first.status_code == 202
    assert second.status_code == 409
    assert second.json()["active_job_id"] == first.json()["id"]
    assert second.json()["detail"]


def test_sync_of_an_inactive_integration_is_409(
    api_client: APIClient, onec_integration: Integration
) -> None:
    onec_integration.status = "inactive"
    onec_integration.save()
    response = api_client.post(f"/api/integrations/{onec_integration.pk}/sync")
    assert response.status_code == 409
    assert "inactive" in response.json()["detail"]


@pytest.mark.parametrize("job_type", ["everything", "sync_unknown_entity", ""])
def test_unknown_job_types_are_400_naming_the_field(
    api_client: APIClient, onec_integration: Integration, job_type: str
) -> None:
    response = api_client.post(
        f"/api/integrations/{onec_integration.pk}/sync", {"job_type": job_type}, "json"
    )
    assert response.status_code == 400
    assert "job_type" in response.json()
    assert not SyncJob.objects.exists()


def test_cancel_is_200_for_active_jobs_and_409_for_finished_ones(
    api_client: APIClient, onec_integration: Integration
) -> None:
    job = api_client.post(f"/api/integrations/{onec_integration.pk}/sync").json()

    cancelled = api_client.post(f"/api/sync-jobs/{job['id']}/cancel")
    again = api_client.post(f"/api/sync-jobs/{job['id']}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409
    completed = SyncJobFactory(integration=onec_integration, status="completed")
    assert api_client.post(f"/api/sync-jobs/{completed.pk}/cancel").status_code == 409
    # A cancelled job that a worker picks up later is not run.
    assert sync_job_execute(job_id=job["id"]) is None


def test_sync_then_read_synced_records_with_filters(
    api_client: APIClient, onec_integration: Integration, onec_server: ODataServer
) -> None:
    job_id = api_client.post(f"/api/integrations/{onec_integration.pk}/sync").json()["id"]
    sync_job_execute(job_id=job_id)
    other = SyncedRecordFactory(entity="products", is_deleted=True)

    job = api_client.get(f"/api/sync-jobs/{job_id}").json()
    assert job["status"] == "completed" and job["records_created"] == 5
    listing = api_client.get(
        "/api/synced-records", {"integration": str(onec_integration.pk), "entity": "products"}
    ).json()
    assert len(listing["results"]) == 5 and "next" in listing
    item = listing["results"][0]
    assert set(item) == {
        "id",
        "integration_id",
        "entity",
        "external_id",
        "data",
        "is_deleted",
        "first_synced_at",
        "last_synced_at",
        "last_job_id",
    }
    assert item["last_job_id"] == job_id and item["data"]["Ref_Key"] == item["external_id"]
    one = api_client.get("/api/synced-records", {"external_id": item["external_id"]}).json()
    assert [r["id"] for r in one["results"]] == [item["id"]]
    deleted = api_client.get("/api/synced-records", {"is_deleted": "true"}).json()
    assert [r["id"] for r in deleted["results"]] == [str(other.pk)]


def test_connection_test_reports_success_logs_and_keeps_the_result(
    api_client: APIClient, onec_integration: Integration, onec_server: ODataServer
) -> None:
    response = api_client.post(f"/api/integrations/{onec_integration.pk}/test")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["status_code"] == 200
    assert isinstance(body["duration_ms"], int) and body["message"]
    assert onec_server.requests[-1].path.endswith("/$metadata")
    log = IntegrationLog.objects.get(integration=onec_integration, action="test_connection")
    assert log.direction == "outbound" and log.status_code == 200
    onec_integration.refresh_from_db()
    assert onec_integration.metadata["last_test_ok"] is True
    assert onec_integration.metadata["last_test_at"]


def test_connection_test_with_bad_credentials_or_no_server(
    api_client: APIClient, onec_integration: Integration, onec_server: ODataServer
) -> None:
    onec_integration.api_secret = "not-the-password"
    onec_integration.save()
    refused = api_client.post(f"/api/integrations/{onec_integration.pk}/test").json()
    assert refused["success"] is False and refused["status_code"] == 401

    unreachable = IntegrationFactory(provider="1c", api_endpoint="http://127.0.0.1:9/odata")
    answer = api_client.post(f"/api/integrations/{unreachable.pk}/test").json()
    assert answer["success"] is False and answer["status_code"] is None
    unreachable.refresh_from_db()
    assert unreachable.metadata["last_test_ok"] is False
    assert "not-the-password" not in str(list(IntegrationLog.objects.values()))
    assert PASSWORD not in str(list(IntegrationLog.objects.values()))


@pytest.mark.parametrize(
    ("provider", "api_endpoint"),
    [("1c", None), ("rest", None), ("no-such-provider", None)],
    ids=["1c-without-root", "rest-without-endpoint", "unknown-provider"],
)
def test_connection_test_that_cannot_call_out_still_logs_it(
    api_client: APIClient, provider: str, api_endpoint: str | None
) -> None:
    """The contract: POST …/test writes an outbound integration log, also when the test fails
    before any request (nothing to call, no connector), so the log shows every test."""
    integration = IntegrationFactory(provider=provider, type="crm", api_endpoint=api_endpoint)
    body = api_client.post(f"/api/integrations/{integration.pk}/test").json()

    assert body["success"] is False and body["status_code"] is None
    log = IntegrationLog.objects.get(integration=integration, action="test_connection")
    assert log.direction == "outbound" and log.status_code is None
    assert log.error_message == body["message"]


def test_endpoints_need_an_api_key(anonymous_client: APIClient, onec_integration: Integration):
    assert anonymous_client.post(f"/api/integrations/{onec_integration.pk}/sync").status_code in (
        401,
        403,
    )
    assert anonymous_client.get("/api/synced-records").status_code in (401, 403)


@pytest.mark.parametrize("body", [{"job_type": None}, {}, None])
def test_an_absent_or_null_job_type_means_manual_sync(
    api_client: APIClient, onec_integration: Integration, body: dict | None
) -> None:
    response = api_client.post(f"/api/integrations/{onec_integration.pk}/sync", body, "json")

    assert response.status_code == 202, response.content
    assert response.json()["job_type"] == "manual_sync"


def test_a_job_type_that_is_not_a_string_is_400(
    api_client: APIClient, onec_integration: Integration
) -> None:
    response = api_client.post(
        f"/api/integrations/{onec_integration.pk}/sync", {"job_type": ["full_sync"]}, "json"
    )

    assert response.status_code == 400
    assert "job_type" in response.json()
