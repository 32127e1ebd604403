"""The admin's first page: integrations' health, the 24-hour webhook chart, payments of the day,
failed webhooks with a one-click retry, and sync jobs with their progress JSON."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import IntegrationStatus
from integrations.tests.factories import IntegrationFactory
from payments.models import PaymentTransaction, TransactionState
from payments.tests.factories import PaymentInvoiceFactory, PaymentTransactionFactory
from syncjobs.models import SyncJobStatus
from syncjobs.tests.factories import SyncJobFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

# The page's queries: session and user, then the dashboard's reads (integrations with their
# latest webhook and job, the hourly aggregate and the charts' names, payments of the day, the
# failed list and its count, the jobs, the latest alerts), then the stock app list. None
# depends on the row counts.
MAX_DASHBOARD_QUERIES = 12


def _age(webhook: Webhook, **delta: float) -> None:
    Webhook.objects.filter(pk=webhook.pk).update(created_at=timezone.now() - timedelta(**delta))


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_dashboard_shows_each_integration_with_its_health(admin_client):
    healthy = IntegrationFactory(
        code="erp-ok",
        metadata={"last_test_at": timezone.now().isoformat(), "last_test_ok": True},
    )
    failing = IntegrationFactory(
        code="erp-down",
        status=IntegrationStatus.ERROR,
        metadata={"last_test_ok": False, "last_test_message": "Connection refused"},
    )
    SyncJobFactory(integration=failing, status=SyncJobStatus.FAILED, error_message="401 from 1C")
    WebhookFactory(integration=healthy)

    body = admin_client.get("/admin/").content.decode()

    ok_row = re.search(r'<tr class="vh-health-ok" data-code="erp-ok">.*?</tr>', body, re.S)
    assert ok_row, body
    assert "never" in ok_row.group(0).split("</td>")[4]  # no sync yet
    down_row = re.search(r'<tr class="vh-health-failing" data-code="erp-down">.*?</tr>', body, re.S)
    assert down_row
    assert "Connection refused" in down_row.group(0)
    assert "401 from 1C" in down_row.group(0)
    # ... and the failing one is listed under "Needs attention".
    attention = body.split('id="vh-attention"')[1].split("</section>")[0]
    assert "erp-down" in attention and "erp-ok" not in attention


def test_chart_counts_received_completed_and_failed_of_the_last_24_hours(admin_client):
    integration = IntegrationFactory(code="shop")
    for status in (WebhookStatus.COMPLETED, WebhookStatus.COMPLETED, WebhookStatus.FAILED):
        WebhookFactory(integration=integration, status=status)
    _age(WebhookFactory(integration=integration, status=WebhookStatus.COMPLETED), hours=3)
    _age(WebhookFactory(integration=integration, status=WebhookStatus.FAILED), hours=30)

    body = admin_client.get("/admin/").content.decode()

    chart = body.split('id="vh-webhook-chart"')[1].split("</section>")[0]
    assert "4 received · 3 completed · 1 failed" in chart  # the 30-hour-old one is outside
    assert chart.count("<svg") == 2  # overall, and one per integration
    assert "shop</code>: 4 received, 3 completed, 1 failed" in chart
    assert "<polyline" in chart and 'data-series="failed"' in chart
    assert chart.count('class="vh-bar-received"') == 4  # two busy hours, in both charts
    # No script or style from anywhere but the app itself.
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_payments_of_the_day_by_gateway_and_state(admin_client):
    payme = IntegrationFactory(code="payme", provider="payme", type="payment_gateway")

    def transaction(state: int, created_days_ago: float = 0) -> None:
        number = PaymentTransaction.objects.count()
        invoice = PaymentInvoiceFactory(
            order_id=f"order-{number}", amount=150_000, description="Tea"
        )
        row = PaymentTransactionFactory(
            integration=payme,
            provider="payme",
            provider_transaction_id=f"tx-{number}",
            invoice=invoice,
            amount=150_000,
            state=state,
        )
        if created_days_ago:
            PaymentTransaction.objects.filter(pk=row.pk).update(
                created_at=timezone.now() - timedelta(days=created_days_ago)
            )

    transaction(TransactionState.PERFORMED)
    transaction(TransactionState.PERFORMED)
    transaction(TransactionState.CREATED)
    transaction(TransactionState.PERFORMED, created_days_ago=2)

    body = admin_client.get("/admin/").content.decode()

    performed = re.search(
        rf'<tr data-provider="payme" data-state="{TransactionState.PERFORMED.value}">(.*?)</tr>',
        body,
    )
    assert performed
    assert "<td>2</td><td>3000</td>" in performed.group(1)  # 2 × 1500 soums, not yesterday's
    assert f'data-state="{TransactionState.CREATED.value}"><td>payme</td>' in body


def test_one_click_retry_puts_the_failed_webhook_back_to_pending(admin_client):
    webhook = WebhookFactory(status=WebhookStatus.FAILED, retry_count=3, error_message="502")
    body = admin_client.get("/admin/").content.decode()
    row = re.search(rf'<tr data-webhook-id="{webhook.pk}">.*?</tr>', body, re.S)
    assert row and "csrfmiddlewaretoken" in row.group(0)

    response = admin_client.post(f"/admin/dashboard/webhooks/{webhook.pk}/retry")

    assert response.status_code == 302 and response["Location"] == "/admin/"
    webhook.refresh_from_db()
    assert (webhook.status, webhook.retry_count) == (WebhookStatus.PENDING, 0)
    assert "sent back to pending" in admin_client.get("/admin/").content.decode()


def test_retry_needs_a_post_with_csrf_and_the_change_permission(admin_user):
    webhook = WebhookFactory(status=WebhookStatus.FAILED)
    url = f"/admin/dashboard/webhooks/{webhook.pk}/retry"

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(url).status_code == 403  # no CSRF token
    assert strict.get(url).status_code == 405

    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhook"))
    client = Client()
    client.force_login(viewer)
    assert client.post(url).status_code == 403
    assert "vh-retry" not in client.get("/admin/").content.decode()

    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.FAILED


def test_retrying_a_completed_webhook_says_why_and_changes_nothing(admin_client):
    webhook = WebhookFactory(status=WebhookStatus.COMPLETED)
    response = admin_client.post(f"/admin/dashboard/webhooks/{webhook.pk}/retry", follow=True)
    assert "Only failed or ignored webhooks can be retried" in response.content.decode()
    webhook.refresh_from_db()
    assert webhook.status == WebhookStatus.COMPLETED


def test_sync_progress_json_lists_active_and_just_finished_jobs(admin_client):
    running = SyncJobFactory(
        status=SyncJobStatus.RUNNING,
        records_processed=250,
        metadata={"progress": {"percent": 40, "message": "Catalog (1/2): page 3"}},
    )
    done = SyncJobFactory(status=SyncJobStatus.COMPLETED, completed_at=timezone.now())
    SyncJobFactory(status=SyncJobStatus.COMPLETED, completed_at=timezone.now() - timedelta(hours=2))

    response = admin_client.get("/admin/dashboard/sync-progress.json")

    assert response.status_code == 200
    jobs = {job["id"]: job for job in response.json()["jobs"]}
    assert set(jobs) == {str(running.pk), str(done.pk)}
    assert jobs[str(running.pk)]["percent"] == 40
    assert jobs[str(running.pk)]["message"] == "Catalog (1/2): page 3"
    assert jobs[str(running.pk)]["records_processed"] == 250
    assert (jobs[str(done.pk)]["percent"], jobs[str(done.pk)]["status"]) == (100, "completed")
    # Staff only.
    anonymous = Client().get("/admin/dashboard/sync-progress.json")
    assert anonymous.status_code == 302


def test_dashboard_query_count_does_not_grow_with_the_data(admin_client):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/").status_code == 200
        return len(queries.captured_queries)

    IntegrationFactory()
    small = measure()
    integrations = IntegrationFactory.create_batch(5)
    for integration in integrations:
        WebhookFactory.create_batch(3, integration=integration, status=WebhookStatus.FAILED)
        WebhookFactory.create_batch(2, integration=integration, status=WebhookStatus.COMPLETED)
        SyncJobFactory(integration=integration, status=SyncJobStatus.RUNNING)
    large = measure()

    assert large == small
    assert large <= MAX_DASHBOARD_QUERIES
