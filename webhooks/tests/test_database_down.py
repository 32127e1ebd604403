"""The database does not answer: receive says 503 with Retry-After, never a 2xx for a row that
was not committed (the fault suite does the same with a real PostgreSQL stopped)."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from integrations.models import IntegrationLog
from webhooks.models import Webhook
from webhooks.tests.helpers import post_signed

pytestmark = pytest.mark.django_db


def _down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_database_down_before_anything_is_read_is_503_with_retry_after(integration, monkeypatch):
    monkeypatch.setattr("webhooks.services.delivery.integration_get_live_versioned", _down)

    response = post_signed(Client(), integration.code, {"id": "evt_db_down"})

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"] == "database_unavailable"
    assert "127.0.0.1" not in response.content.decode()  # no server detail leaks


@pytest.mark.parametrize("path", ["kept", "fresh"])
def test_database_gone_at_the_insert_is_503_and_nothing_is_stored(integration, monkeypatch, path):
    if path == "kept":  # the kept integration's one statement (webhooks.services.receive_kept)
        monkeypatch.setattr("webhooks.services.receive_kept._execute", _down)
    else:  # an integration not kept: the ORM's inserts
        monkeypatch.setattr("webhooks.kept_integrations.keep", lambda *args: None)
        monkeypatch.setattr(Webhook, "save", _down)

    response = post_signed(Client(), integration.code, {"id": "evt_db_insert"})

    assert response.status_code == 503
    assert response["Retry-After"]
    monkeypatch.undo()
    assert Webhook.objects.count() == 0


def test_database_gone_at_the_log_is_503_and_neither_row_is_kept(integration, monkeypatch):
    """The webhook and its inbound log are written together: a 2xx means both are committed,
    and when the log cannot be written the webhook is not kept either, so the sender retries.
    (The kept integration's statement writes both in one statement.)"""
    monkeypatch.setattr("webhooks.kept_integrations.keep", lambda *args: None)
    monkeypatch.setattr(IntegrationLog, "save", _down)

    response = post_signed(Client(), integration.code, {"id": "evt_db_after"})

    assert response.status_code == 503
    monkeypatch.undo()
    assert Webhook.objects.count() == 0
    assert IntegrationLog.objects.count() == 0


def test_other_api_endpoints_answer_503_too(api_client, monkeypatch):
    monkeypatch.setattr("webhooks.api.views.WebhookViewSet.get_queryset", _down)

    response = api_client.get("/api/webhooks")

    assert response.status_code == 503
    assert response["Retry-After"]
