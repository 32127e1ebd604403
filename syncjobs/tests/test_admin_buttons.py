"""Buttons on the integration and sync job pages: "Test connection", "Sync now" and "Cancel" run
the same path as the list actions, only by POST, only for who may use those actions, and only
when they apply."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from core.testing.onec_server import PASSWORD, ODataServer
from integrations.models import Integration, IntegrationLog
from syncjobs.models import SyncJob
from syncjobs.tests.factories import SyncJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(integration: Integration) -> str:
    return f"/admin/integrations/integration/{integration.pk}/change/"


def button(integration: Integration, name: str) -> str:
    return f"/admin/integrations/integration/{integration.pk}/button/{name}/"


def job_page(job: SyncJob) -> str:
    return f"/admin/syncjobs/syncjob/{job.pk}/change/"


def cancel_url(job: SyncJob) -> str:
    return f"/admin/syncjobs/syncjob/{job.pk}/button/cancel/"


def test_the_integration_page_shows_its_buttons_as_csrf_protected_posts(
    admin_client: Client, onec_integration: Integration
) -> None:
    html = admin_client.get(page(onec_integration)).content.decode()
    for name, label in [("test_connection", "Test connection"), ("trigger_sync", "Sync now")]:
        assert f'method="post" action="{button(onec_integration, name)}"' in html
        assert f">{label}</button>" in html
    # Rotation asks first: a link to its confirmation page.
    assert f'href="{button(onec_integration, "rotate_webhook_secret")}"' in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3
    assert PASSWORD not in html


def test_a_deleted_integration_has_no_buttons_and_they_do_nothing(
    admin_client: Client, onec_integration: Integration
) -> None:
    Integration.all_objects.filter(pk=onec_integration.pk).update(
        deleted_at=onec_integration.created_at
    )
    html = admin_client.get(page(onec_integration)).content.decode()
    assert "/button/" not in html
    response = admin_client.post(button(onec_integration, "trigger_sync"), follow=True)
    assert response.redirect_chain[0][0] == page(onec_integration)
    assert "not possible" in response.content.decode()
    assert not SyncJob.objects.exists()


def test_sync_now_creates_a_job_and_a_second_press_says_one_is_active(
    admin_client: Client, onec_integration: Integration, onec_server: ODataServer
) -> None:
    response = admin_client.post(button(onec_integration, "trigger_sync"), follow=True)
    assert response.redirect_chain == [(page(onec_integration), 302)]
    job = SyncJob.objects.get(integration=onec_integration)
    assert job.status == "pending" and job.metadata["requested_by"] == "admin"
    assert "queued" in response.content.decode()

    again = admin_client.post(button(onec_integration, "trigger_sync"), follow=True)
    assert "already active" in again.content.decode()
    assert SyncJob.objects.filter(integration=onec_integration).count() == 1


def test_test_connection_logs_the_test_and_reports_it(
    admin_client: Client, onec_integration: Integration, onec_server: ODataServer
) -> None:
    response = admin_client.post(button(onec_integration, "test_connection"), follow=True)
    assert response.redirect_chain == [(page(onec_integration), 302)]
    assert "Connected" in response.content.decode()
    onec_integration.refresh_from_db()
    assert onec_integration.metadata["last_test_ok"] is True
    assert IntegrationLog.objects.filter(integration=onec_integration).exists()
    assert PASSWORD not in response.content.decode()


@pytest.mark.parametrize("name", ["test_connection", "trigger_sync"])
def test_get_changes_nothing(admin_client: Client, onec_integration: Integration, name) -> None:
    response = admin_client.get(button(onec_integration, name))
    assert response.status_code == 405
    onec_integration.refresh_from_db()
    assert "last_test_at" not in (onec_integration.metadata or {})
    assert not SyncJob.objects.exists()
    assert not IntegrationLog.objects.exists()


def test_cancel_button_only_while_the_job_is_active(
    admin_client: Client, onec_integration: Integration
) -> None:
    running = SyncJobFactory(integration=onec_integration, status="running")
    finished = SyncJobFactory(integration=onec_integration, status="completed")

    html = admin_client.get(job_page(running)).content.decode()
    assert f'method="post" action="{cancel_url(running)}"' in html
    assert cancel_url(finished) not in admin_client.get(job_page(finished)).content.decode()

    assert admin_client.get(cancel_url(running)).status_code == 405
    running.refresh_from_db()
    assert running.status == "running"

    response = admin_client.post(cancel_url(running), follow=True)
    assert response.redirect_chain == [(job_page(running), 302)]
    assert "cancelled" in response.content.decode()
    running.refresh_from_db()
    assert running.status == "cancelled" and running.completed_at is not None
    # The page no longer offers it, and a stale press changes nothing.
    assert cancel_url(running) not in response.content.decode()
    admin_client.post(cancel_url(finished))
    finished.refresh_from_db()
    assert finished.status == "completed"


def test_a_pending_job_can_be_cancelled_too(
    admin_client: Client, onec_integration: Integration
) -> None:
    pending = SyncJobFactory(integration=onec_integration, status="pending")
    assert cancel_url(pending) in admin_client.get(job_page(pending)).content.decode()
    admin_client.post(cancel_url(pending))
    pending.refresh_from_db()
    assert pending.status == "cancelled"


def test_no_staff_no_permission_no_buttons(onec_integration: Integration) -> None:
    job = SyncJobFactory(integration=onec_integration, status="running")
    outsider = User.objects.create_user("outsider", password="x")
    client = Client()
    client.force_login(outsider)
    for url in (button(onec_integration, "trigger_sync"), cancel_url(job)):
        response = client.post(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]

    # Staff, but without any permission on integrations or jobs.
    staff = User.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)
    for url in (button(onec_integration, "test_connection"), cancel_url(job)):
        assert client.post(url).status_code == 403

    job.refresh_from_db()
    onec_integration.refresh_from_db()
    assert job.status == "running"
    assert SyncJob.objects.count() == 1
    assert "last_test_at" not in (onec_integration.metadata or {})


def test_a_viewer_of_jobs_sees_the_job_but_cannot_cancel_it(
    onec_integration: Integration,
) -> None:
    """Cancelling stops a job: it needs change permission on sync jobs, as the list action."""
    job = SyncJobFactory(integration=onec_integration, status="running")
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_syncjob"))
    client = Client()
    client.force_login(viewer)
    page = client.get(job_page(job))
    assert page.status_code == 200
    assert cancel_url(job) not in page.content.decode()
    assert client.post(cancel_url(job)).status_code == 403
    job.refresh_from_db()
    assert job.status == "running"

    viewer.user_permissions.add(Permission.objects.get(codename="change_syncjob"))
    assert cancel_url(job) in client.get(job_page(job)).content.decode()
    client.post(cancel_url(job))
    job.refresh_from_db()
    assert job.status == "cancelled"
