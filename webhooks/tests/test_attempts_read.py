"""What reads the attempt rows: the attempts endpoint, the list's external_id filter, and the one
count of tries that error_message, the API list, the admin list and the dashboard all give."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from webhooks.models import WebhookAttempt, WebhookStatus
from webhooks.services import webhook_process
from webhooks.tests.attempt_helpers import forwarded_webhook, make_due
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "9f0c1d1e-1111-4b4b-8c8c-000000000000"


# --- GET /api/webhooks/<id>/attempts ----------------------------------------------------------


def test_the_attempts_endpoint_lists_each_try_oldest_first(api_client, forward_server):
    webhook = forwarded_webhook(forward_server.url)
    forward_server.status = 502
    webhook_process(webhook_id=webhook.pk)
    make_due(webhook)
    forward_server.status = 200
    webhook_process(webhook_id=webhook.pk)

    response = api_client.get(f"/api/webhooks/{webhook.pk}/attempts")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["results"]
    first, second = body["results"]
    assert set(first) == {
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "outcome",
        "error",
    }
    assert (first["number"], first["outcome"], first["status_code"]) == (1, "failure", 502)
    assert (second["number"], second["outcome"], second["status_code"]) == (2, "success", 200)
    assert second["error"] is None and isinstance(second["duration_ms"], int)
    # ISO 8601 with a timezone.
    assert re.search(r"(Z|[+-]\d\d:\d\d)$", first["started_at"])


def test_the_attempts_of_an_unprocessed_webhook_are_an_empty_list(api_client):
    webhook = WebhookFactory()
    response = api_client.get(f"/api/webhooks/{webhook.pk}/attempts")
    assert response.status_code == 200 and response.json() == {"results": []}


@pytest.mark.parametrize("webhook_id", [UNKNOWN_ID, "not-a-uuid"])
def test_the_attempts_of_an_unknown_webhook_are_a_json_404(api_client, webhook_id):
    response = api_client.get(f"/api/webhooks/{webhook_id}/attempts")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_the_attempts_need_a_key(anonymous_client):
    webhook = WebhookFactory()
    assert anonymous_client.get(f"/api/webhooks/{webhook.pk}/attempts").status_code in (401, 403)


def test_the_schema_documents_attempts_and_replay(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    attempts = schema["paths"]["/api/webhooks/{id}/attempts/"]["get"]
    assert {"200", "404"} <= set(attempts["responses"])
    replay = schema["paths"]["/api/webhooks/{id}/replay/"]["post"]
    assert {"202", "404", "409"} <= set(replay["responses"])


# --- external_id filter -----------------------------------------------------------------------


def test_the_list_filters_by_external_id(api_client):
    wanted = WebhookFactory(external_id="evt_wanted")
    WebhookFactory(external_id="evt_other")
    WebhookFactory(external_id=None)
    response = api_client.get("/api/webhooks", {"external_id": "evt_wanted"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(wanted.pk)]
    assert api_client.get("/api/webhooks", {"external_id": "evt_none"}).json()["results"] == []


# --- One count of tries everywhere ------------------------------------------------------------


def test_no_retries_reads_one_attempt_everywhere(api_client, admin_client: Client, forward_server):
    """``retry_attempts: 0``: one try, and every place that counts tries says so."""
    forward_server.status = 500
    webhook = forwarded_webhook(forward_server.url, retry_attempts=0)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED
    webhook.refresh_from_db()

    rows = WebhookAttempt.objects.filter(webhook=webhook).count()
    assert rows == 1
    assert (webhook.error_message or "").endswith("(gave up after 1 attempt)")

    listed = api_client.get("/api/webhooks", {"external_id": webhook.external_id}).json()
    assert listed["results"][0]["attempt_count"] == rows
    assert api_client.get(f"/api/webhooks/{webhook.pk}").json()["attempt_count"] == rows

    changelist = admin_client.get("/admin/webhooks/webhook/").content.decode()
    assert re.search(r'<td class="field-retries">1</td>', changelist), changelist
    assert "0 / 0" not in changelist

    dashboard = admin_client.get("/admin/").content.decode()
    row = re.search(rf'<tr data-webhook-id="{webhook.pk}">(.*?)</tr>', dashboard, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[3].strip() == "1"


def test_the_counts_agree_after_retries_and_a_replay(api_client, admin_client, forward_server):
    forward_server.status = 500
    webhook = forwarded_webhook(forward_server.url, retry_attempts=1)
    webhook_process(webhook_id=webhook.pk)
    make_due(webhook)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED
    assert api_client.post(f"/api/webhooks/{webhook.pk}/replay").status_code == 202
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.PENDING
    make_due(webhook)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.FAILED

    webhook.refresh_from_db()
    rows = WebhookAttempt.objects.filter(webhook=webhook).count()
    assert rows == 4 == webhook.attempt_count
    assert (webhook.error_message or "").endswith(f"(gave up after {rows} attempts)")
    body = api_client.get(f"/api/webhooks/{webhook.pk}/attempts").json()
    assert [attempt["number"] for attempt in body["results"]] == [1, 2, 3, 4]
    changelist = admin_client.get("/admin/webhooks/webhook/").content.decode()
    assert f'<td class="field-retries">{rows}</td>' in changelist
