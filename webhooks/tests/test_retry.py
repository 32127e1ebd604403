"""Manual retry: the API, the ``retry_webhooks`` command and the admin action, one service."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.services import integration_delete
from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db


def retry_url(webhook: Webhook) -> str:
    return f"/api/webhooks/{webhook.id}/retry"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": WebhookStatus.FAILED}, 202),
        ({"status": WebhookStatus.IGNORED}, 202),
        ({"status": WebhookStatus.IGNORED, "rejected": True}, 409),
        ({"status": WebhookStatus.PENDING}, 409),
        ({"status": WebhookStatus.PROCESSING}, 409),
        ({"status": WebhookStatus.COMPLETED}, 409),
    ],
)
def test_api_retry(api_client, django_capture_on_commit_callbacks, fields, expected):
    webhook = WebhookFactory(retry_count=3, error_message="HTTP 500", **fields)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(retry_url(webhook))
    assert response.status_code == expected, response.content
    webhook.refresh_from_db()
    if expected == 202:
        assert response.json()["status"] == "pending"
        assert webhook.status == WebhookStatus.PENDING
        assert webhook.retry_count == 0
        assert len(callbacks) == 1  # the wake-up message, sent once committed
    else:
        assert "detail" in response.json()
        assert webhook.status == fields["status"]
        assert callbacks == []


def test_api_retry_needs_a_key(anonymous_client):
    webhook = WebhookFactory(status=WebhookStatus.FAILED)
    assert anonymous_client.post(retry_url(webhook)).status_code in (401, 403)


def test_api_retry_unknown_is_404(api_client):
    assert (
        api_client.post("/api/webhooks/9f0c1d1e-1111-4b4b-8c8c-000000000000/retry").status_code
        == 404
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("retry_webhooks", *args, stdout=out)
    return out.getvalue()


def test_command_retries_failed_by_default():
    failed = WebhookFactory(status=WebhookStatus.FAILED)
    ignored = WebhookFactory(status=WebhookStatus.IGNORED)
    output = run()
    assert "matched 1, retried 1, skipped 0" in output
    failed.refresh_from_db()
    ignored.refresh_from_db()
    assert (failed.status, ignored.status) == ("pending", "ignored")


def test_command_status_ignored_skips_rejected():
    WebhookFactory(status=WebhookStatus.IGNORED)
    WebhookFactory(status=WebhookStatus.IGNORED, rejected=True)
    assert "matched 2, retried 1, skipped 1" in run("--status", "ignored")
    assert Webhook.objects.filter(status="pending").count() == 1


def test_command_filters_by_integration_and_since():
    erp = IntegrationFactory(code="erp-main")
    other = IntegrationFactory()
    old = WebhookFactory(integration=erp, status=WebhookStatus.FAILED)
    Webhook.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    recent = WebhookFactory(integration=erp, status=WebhookStatus.FAILED)
    WebhookFactory(integration=other, status=WebhookStatus.FAILED)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert "matched 1, retried 1" in run("--integration", "erp-main", "--since", since)
    recent.refresh_from_db()
    assert recent.status == WebhookStatus.PENDING
    assert Webhook.objects.filter(status="failed").count() == 2


def test_command_finds_webhooks_of_a_deleted_integration():
    integration = IntegrationFactory(code="gone")
    WebhookFactory(integration=integration, status=WebhookStatus.FAILED)
    integration_delete(integration=integration)
    assert "retried 1" in run("--integration", "gone")


def test_command_dry_run_changes_nothing():
    webhook = WebhookFactory(status=WebhookStatus.FAILED)
    output = run("--dry-run", "-v", "2")
    assert "would retry 1" in output
    assert str(webhook.id) in output
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.FAILED


def test_command_rejects_bad_input():
    with pytest.raises(CommandError, match="No integration"):
        run("--integration", "missing")
    with pytest.raises(CommandError, match="ISO 8601"):
        run("--since", "yesterday")
    with pytest.raises(CommandError):
        run("--status", "completed")


@pytest.mark.parametrize("since", ["2026-13-01", "2026-02-30T08:00:00", "2026-01-31T25:00:00"])
def test_command_rejects_a_date_shaped_non_date(since):
    """A month 13 or a February 30 is a usage error naming --since, not a traceback."""
    with pytest.raises(CommandError, match="--since"):
        run("--since", since)


def test_command_help_describes_the_options():
    from webhooks.management.commands.retry_webhooks import Command

    help_text = Command().create_parser("manage.py", "retry_webhooks").format_help()
    for option in ("--status", "--integration", "--since", "--dry-run"):
        assert option in help_text


def test_admin_action_retries_selected(admin_client):
    failed = WebhookFactory(status=WebhookStatus.FAILED)
    rejected = WebhookFactory(status=WebhookStatus.IGNORED, rejected=True)
    response = admin_client.post(
        "/admin/webhooks/webhook/",
        {"action": "retry_selected", "_selected_action": [str(failed.pk), str(rejected.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Retried 1 webhook(s); skipped 1" in response.content.decode()
    failed.refresh_from_db()
    rejected.refresh_from_db()
    assert (failed.status, rejected.status) == ("pending", "ignored")


def test_admin_list_and_detail_pages_render(admin_client):
    webhook = WebhookFactory(
        status=WebhookStatus.FAILED,
        error_message="forward answered HTTP 500",
        payload={"id": "evt_1", "items": [1, 2]},
        headers={"X-Token": "abc", "Content-Type": "application/json"},
    )
    listing = admin_client.get("/admin/webhooks/webhook/?status__exact=failed")
    assert listing.status_code == 200
    assert "forward answered HTTP 500" in listing.content.decode()
    detail = admin_client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/")
    assert detail.status_code == 200
    assert "&quot;items&quot;" in detail.content.decode()
