"""Replay: the API, the admin's button and its list action, one service; a replayed webhook is
processed again (handlers and forward, to a local HTTP server) with its earlier attempts kept."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookAttempt, WebhookStatus
from webhooks.services import webhook_process
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "9f0c1d1e-1111-4b4b-8c8c-000000000000"


def replay_url(webhook_id: object) -> str:
    return f"/api/webhooks/{webhook_id}/replay"


def admin_page(webhook: Webhook) -> str:
    return f"/admin/webhooks/webhook/{webhook.pk}/change/"


def admin_replay_url(webhook: Webhook) -> str:
    return f"/admin/webhooks/webhook/{webhook.pk}/button/replay/"


def numbers(webhook: Webhook) -> list[int]:
    return list(
        WebhookAttempt.objects.filter(webhook=webhook)
        .order_by("number")
        .values_list("number", flat=True)
    )


def forwarding(url: str) -> dict:
    return {"forward_url": url, "retry_attempts": 0}


@pytest.mark.parametrize("first_answer", [200, 500])
def test_a_completed_or_failed_webhook_is_forwarded_again(
    api_client, django_capture_on_commit_callbacks, forward_server, first_answer
):
    integration = IntegrationFactory(provider="erp", config=forwarding(forward_server.url))
    webhook = WebhookFactory(integration=integration, max_retries=0, payload={"id": "evt_r"})
    forward_server.status = first_answer
    expected = WebhookStatus.COMPLETED if first_answer == 200 else WebhookStatus.FAILED
    assert webhook_process(webhook_id=webhook.pk) == expected

    forward_server.status = 200
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(replay_url(webhook.pk))
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert len(callbacks) == 1  # the wake-up message, sent once committed
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING and webhook.processed_at is None

    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.COMPLETED
    assert len(forward_server.requests) == 2
    replayed = forward_server.requests[1]
    assert json.loads(replayed.body) == {"id": "evt_r"}
    assert replayed.headers["X-Webhook-Id"] == str(webhook.pk)
    assert numbers(webhook) == [1, 2]
    outcomes = list(
        WebhookAttempt.objects.filter(webhook=webhook)
        .order_by("number")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["success" if first_answer == 200 else "failure", "success"]


def test_an_ignored_webhook_runs_its_handlers_and_forward_once_there_are_some(
    api_client, forward_server
):
    integration = IntegrationFactory(provider="erp", config={})
    webhook = WebhookFactory(integration=integration)
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.IGNORED

    integration.config = forwarding(forward_server.url)
    integration.save()
    assert api_client.post(replay_url(webhook.pk)).status_code == 202
    assert webhook_process(webhook_id=webhook.pk) == WebhookStatus.COMPLETED
    assert len(forward_server.requests) == 1
    assert numbers(webhook) == [1, 2]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"status": WebhookStatus.IGNORED, "rejected": True}, "ignored"),
        ({"status": WebhookStatus.PENDING}, "pending"),
        ({"status": WebhookStatus.PROCESSING}, "processing"),
    ],
)
def test_what_cannot_be_replayed_is_a_409_with_its_status(
    api_client, django_capture_on_commit_callbacks, fields, status
):
    webhook = WebhookFactory(**fields)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(replay_url(webhook.pk))
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == status and body["detail"]
    if fields.get("rejected"):
        assert "signature" in body["detail"]
    assert callbacks == []
    webhook.refresh_from_db()
    assert webhook.status == status


@pytest.mark.parametrize("webhook_id", [UNKNOWN_ID, "not-a-uuid"])
def test_replaying_an_unknown_webhook_is_a_json_404(api_client, webhook_id):
    response = api_client.post(replay_url(webhook_id))
    assert response.status_code == 404 and "detail" in response.json()


def test_replay_needs_a_key_and_a_post(api_client, anonymous_client):
    webhook = WebhookFactory(status=WebhookStatus.COMPLETED)
    assert anonymous_client.post(replay_url(webhook.pk)).status_code in (401, 403)
    assert api_client.get(replay_url(webhook.pk)).status_code == 405
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.COMPLETED


# --- The admin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "offered"),
    [
        ({"status": WebhookStatus.COMPLETED}, True),
        ({"status": WebhookStatus.FAILED}, True),
        ({"status": WebhookStatus.IGNORED}, True),
        ({"status": WebhookStatus.IGNORED, "rejected": True}, False),
        ({"status": WebhookStatus.PENDING}, False),
        ({"status": WebhookStatus.PROCESSING}, False),
    ],
)
def test_the_replay_button_asks_first_and_replays(admin_client: Client, fields, offered):
    webhook = WebhookFactory(**fields)
    html = admin_client.get(admin_page(webhook)).content.decode()
    assert (f'<a href="{admin_replay_url(webhook)}">Replay' in html) is offered

    if offered:
        question = admin_client.get(admin_replay_url(webhook))
        assert question.status_code == 200
        assert "earlier attempts are kept" in question.content.decode()
        webhook.refresh_from_db()
        assert webhook.status == fields["status"]  # asking changes nothing

    response = admin_client.post(admin_replay_url(webhook), follow=True)
    assert response.redirect_chain == [(admin_page(webhook), 302)]
    webhook.refresh_from_db()
    if offered:
        assert webhook.status == WebhookStatus.PENDING
        assert "queued to be replayed" in response.content.decode()
    else:
        assert webhook.status == fields["status"]
        assert "not possible" in response.content.decode()


def test_a_user_who_may_only_view_cannot_replay(admin_client: Client) -> None:
    webhook = WebhookFactory(status=WebhookStatus.COMPLETED)
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    client = Client()
    client.force_login(viewer)
    assert client.post(admin_replay_url(webhook)).status_code == 403
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.COMPLETED


def test_the_list_action_replays_what_it_can(
    admin_client: Client, django_capture_on_commit_callbacks
):
    completed = WebhookFactory(status=WebhookStatus.COMPLETED)
    failed = WebhookFactory(status=WebhookStatus.FAILED)
    rejected = WebhookFactory(status=WebhookStatus.IGNORED, rejected=True)
    pending = WebhookFactory(status=WebhookStatus.PENDING)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/webhooks/webhook/",
            {
                "action": "replay_selected",
                "_selected_action": [str(w.pk) for w in (completed, failed, rejected, pending)],
            },
            follow=True,
        )
    assert response.status_code == 200
    assert "Replayed 2 webhook(s); skipped 2" in response.content.decode()
    assert len(callbacks) == 2
    statuses = dict(Webhook.objects.values_list("pk", "status"))
    assert statuses[completed.pk] == statuses[failed.pk] == WebhookStatus.PENDING
    assert statuses[rejected.pk] == WebhookStatus.IGNORED
    assert statuses[pending.pk] == WebhookStatus.PENDING


def test_the_timeline_shows_each_try_with_a_link_to_its_log(admin_client: Client, forward_server):
    integration = IntegrationFactory(provider="erp", config={"forward_url": forward_server.url})
    webhook = WebhookFactory(integration=integration)
    forward_server.status = 502
    webhook_process(webhook_id=webhook.pk)
    Webhook.objects.filter(pk=webhook.pk).update(next_retry_at=None)
    forward_server.status = 200
    webhook_process(webhook_id=webhook.pk)

    html = admin_client.get(admin_page(webhook)).content.decode()
    assert 'id="vh-attempts"' in html
    first, second = WebhookAttempt.objects.filter(webhook=webhook).order_by("number")
    for attempt in (first, second):
        assert (
            f'href="/admin/integrations/integrationlog/{attempt.integration_log_id}/change/"'
            in (html)
        )
    assert 'class="vh-attempt vh-attempt-failure" data-number="1"' in html
    assert 'class="vh-attempt vh-attempt-success" data-number="2"' in html
    assert "answered HTTP 502" in html
    assert f"{second.duration_ms} ms" in html


def test_the_timeline_says_when_a_log_is_gone_and_escapes_errors(admin_client: Client):
    webhook = WebhookFactory(status=WebhookStatus.FAILED, attempt_count=1)
    WebhookAttempt.objects.create(
        webhook=webhook,
        number=1,
        started_at=webhook.created_at,
        duration_ms=None,
        outcome="failure",
        error="<script>alert(1)</script>",
        integration_log_id=UNKNOWN_ID,
    )
    html = admin_client.get(admin_page(webhook)).content.decode()
    assert "deleted by retention" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "unknown" in html
