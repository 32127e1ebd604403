"""The integrations REST API deletes softly: the integration leaves the lists, its code can be
used again, and its history stays readable."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory, IntegrationLogFactory
from integrations.tests.integration_api_helpers import API_KEY, FULL_BODY, create
from syncjobs.tests.factories import SyncJobFactory
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


def test_delete_is_soft(api_client: APIClient) -> None:
    created = create(api_client)
    kept = create(api_client, code="kept")

    response = api_client.delete(f"/api/integrations/{created['id']}")

    assert response.status_code == 204
    listed = {row["id"] for row in api_client.get("/api/integrations").json()["results"]}
    assert listed == {kept["id"]}
    assert api_client.get(f"/api/integrations/{created['id']}").status_code == 404
    assert (
        api_client.patch(
            f"/api/integrations/{created['id']}", {"name": "x"}, format="json"
        ).status_code
        == 404
    )
    assert api_client.delete(f"/api/integrations/{created['id']}").status_code == 404
    row = Integration.all_objects.get(pk=created["id"])
    assert row.deleted_at is not None
    assert row.api_key == API_KEY  # history keeps its credentials, encrypted


def test_code_of_a_deleted_integration_can_be_reused(api_client: APIClient) -> None:
    first = create(api_client)
    api_client.delete(f"/api/integrations/{first['id']}")

    response = api_client.post("/api/integrations", FULL_BODY, format="json")
    second_delete = api_client.delete(f"/api/integrations/{response.json()['id']}")
    third = api_client.post("/api/integrations", FULL_BODY, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["id"] != first["id"]
    assert second_delete.status_code == 204
    assert third.status_code == 201
    assert Integration.all_objects.filter(code=FULL_BODY["code"]).count() == 3


def test_history_of_a_deleted_integration_stays_readable(api_client: APIClient) -> None:
    integration = IntegrationFactory()
    webhook = WebhookFactory(integration=integration)
    job = SyncJobFactory(integration=integration)
    log = IntegrationLogFactory(integration=integration)

    assert api_client.delete(f"/api/integrations/{integration.pk}").status_code == 204

    for path, row in [
        ("/api/webhooks", webhook),
        ("/api/sync-jobs", job),
        ("/api/integration-logs", log),
    ]:
        detail = api_client.get(f"{path}/{row.pk}")
        assert detail.status_code == 200, path
        assert detail.json()["integration_id"] == str(integration.pk)
        listed = api_client.get(path, {"integration": str(integration.pk)})
        assert [item["id"] for item in listed.json()["results"]] == [str(row.pk)], path
