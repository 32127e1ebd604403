"""Buttons of the webhook pipeline in the admin: "Retry" on a webhook's page (only when the
service would retry it) and "Rotate webhook secret" on an integration's page, which asks first and
then shows the new secret once, on the rotation action's own page and nowhere else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from integrations.models import Integration
from webhooks.models import Webhook, WebhookStatus
from webhooks.services import DEFAULT_SECRET_OVERLAP_HOURS
from webhooks.tests.factories import WebhookFactory
from webhooks.tests.helpers import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def webhook_page(webhook: Webhook) -> str:
    return f"/admin/webhooks/webhook/{webhook.pk}/change/"


def retry_url(webhook: Webhook) -> str:
    return f"/admin/webhooks/webhook/{webhook.pk}/button/retry/"


def integration_page(integration: Integration) -> str:
    return f"/admin/integrations/integration/{integration.pk}/change/"


def rotate_url(integration: Integration) -> str:
    return f"/admin/integrations/integration/{integration.pk}/button/rotate_webhook_secret/"


@pytest.mark.parametrize(
    ("fields", "offered"),
    [
        ({"status": WebhookStatus.FAILED}, True),
        ({"status": WebhookStatus.IGNORED}, True),
        ({"status": WebhookStatus.IGNORED, "rejected": True}, False),
        ({"status": WebhookStatus.PENDING}, False),
        ({"status": WebhookStatus.PROCESSING}, False),
        ({"status": WebhookStatus.COMPLETED}, False),
    ],
)
def test_retry_is_offered_only_for_a_retryable_webhook(admin_client: Client, fields, offered):
    webhook = WebhookFactory(retry_count=3, **fields)
    html = admin_client.get(webhook_page(webhook)).content.decode()
    assert (f'method="post" action="{retry_url(webhook)}"' in html) is offered

    response = admin_client.post(retry_url(webhook), follow=True)
    assert response.redirect_chain == [(webhook_page(webhook), 302)]
    webhook.refresh_from_db()
    if offered:
        assert webhook.status == WebhookStatus.PENDING and webhook.retry_count == 0
        assert "queued" in response.content.decode()
    else:
        assert webhook.status == fields["status"] and webhook.retry_count == 3
        assert "not possible" in response.content.decode()


def test_retry_sends_the_webhook_to_a_worker_once_committed(
    admin_client: Client, django_capture_on_commit_callbacks
) -> None:
    webhook = WebhookFactory(status=WebhookStatus.FAILED, retry_count=5, error_message="HTTP 500")
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(retry_url(webhook))
    assert len(callbacks) == 1
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.PENDING and webhook.next_retry_at is None


def test_retry_by_get_or_by_a_non_staff_user_changes_nothing(admin_client: Client) -> None:
    webhook = WebhookFactory(status=WebhookStatus.FAILED, retry_count=2)
    assert admin_client.get(retry_url(webhook)).status_code == 405

    outsider = User.objects.create_user("outsider", password="x")
    client = Client()
    client.force_login(outsider)
    response = client.post(retry_url(webhook))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(User.objects.create_user("staff", password="x", is_staff=True))
    assert client.post(retry_url(webhook)).status_code == 403

    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.FAILED and webhook.retry_count == 2


def test_rotation_asks_first_and_the_question_changes_nothing(
    admin_client: Client, integration: Integration
) -> None:
    html = admin_client.get(integration_page(integration)).content.decode()
    assert f'<a href="{rotate_url(integration)}">Rotate webhook secret' in html

    confirm = admin_client.get(rotate_url(integration))
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "replaces" in text
    assert f"keeps working for {DEFAULT_SECRET_OVERLAP_HOURS} hours" in text
    assert 'method="post"' in text and 'name="csrfmiddlewaretoken"' in text
    assert SECRET not in text
    integration.refresh_from_db()
    assert integration.webhook_secret == SECRET and integration.previous_webhook_secret is None


def test_rotation_shows_the_new_secret_once_and_keeps_the_previous_one(
    admin_client: Client, integration: Integration, caplog
) -> None:
    response = admin_client.post(rotate_url(integration))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "admin/webhooks/rotated_webhook_secrets.html" in [t.name for t in response.templates]
    integration.refresh_from_db()
    new_secret = integration.webhook_secret
    assert new_secret and new_secret != SECRET
    assert integration.previous_webhook_secret == SECRET
    expires_at = integration.previous_webhook_secret_expires_at
    assert expires_at is not None
    overlap = timedelta(hours=DEFAULT_SECRET_OVERLAP_HOURS)
    assert abs(expires_at - timezone.now() - overlap) < timedelta(minutes=1)

    page = response.content.decode()
    assert new_secret in page and SECRET not in page
    # Not in a flash message (cookie or session), a redirect or any page after.
    assert all(new_secret not in morsel.value for morsel in response.cookies.values())
    assert not response.has_header("Location")
    for url in (integration_page(integration), "/admin/integrations/integration/"):
        assert new_secret not in admin_client.get(url).content.decode()
    assert new_secret not in str(dict(admin_client.session))
    assert "rotated" in caplog.text and new_secret not in caplog.text and SECRET not in caplog.text


def test_rotation_refused_to_a_non_staff_user_and_a_deleted_integration(
    admin_client: Client, integration: Integration
) -> None:
    outsider = User.objects.create_user("outsider", password="x")
    client = Client()
    client.force_login(outsider)
    assert client.post(rotate_url(integration)).status_code == 302
    integration.refresh_from_db()
    assert integration.webhook_secret == SECRET

    Integration.all_objects.filter(pk=integration.pk).update(deleted_at=timezone.now())
    assert (
        rotate_url(integration)
        not in admin_client.get(integration_page(integration)).content.decode()
    )
    response = admin_client.post(rotate_url(integration))
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.webhook_secret == SECRET and integration.previous_webhook_secret is None


def test_other_methods_are_refused(admin_client: Client, integration: Integration) -> None:
    assert admin_client.put(rotate_url(integration)).status_code == 405
    integration.refresh_from_db()
    assert integration.webhook_secret == SECRET


def test_rotation_needs_change_permission_not_just_view(integration: Integration) -> None:
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_integration"))
    client = Client()
    client.force_login(viewer)

    page = client.get(integration_page(integration))
    assert page.status_code == 200
    assert rotate_url(integration) not in page.content.decode()
    changelist = client.get("/admin/integrations/integration/").content.decode()
    assert "rotate_webhook_secret" not in changelist
    client.post(rotate_url(integration))
    integration.refresh_from_db()
    assert integration.webhook_secret == SECRET and integration.previous_webhook_secret is None
