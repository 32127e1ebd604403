"""The dashboard's failed webhooks are grouped by integration and error, with a count and one
"Retry all" per group that goes through the retry service: 20 webhooks that failed alike are
one line, not 20."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from integrations.tests.factories import IntegrationFactory
from webhooks.models import Webhook, WebhookStatus
from webhooks.tests.factories import WebhookFactory

pytestmark = pytest.mark.django_db

DOWN = "forward answered HTTP 502"


@pytest.fixture
def shop_failures():
    shop = IntegrationFactory(code="shop")
    erp = IntegrationFactory(code="erp")
    same = WebhookFactory.create_batch(
        20, integration=shop, event_type="order.paid", status="failed", error_message=DOWN
    )
    other_error = WebhookFactory(
        integration=shop, status="failed", error_message="forward timed out after 30000 ms"
    )
    other_integration = WebhookFactory(integration=erp, status="failed", error_message=DOWN)
    return shop, same, other_error, other_integration


def failed_rows(page: str) -> list[str]:
    table = re.search(r'<table id="vh-failed-webhooks">.*?</table>', page, re.S)
    assert table, page
    return re.findall(r"<tr data-webhook-id=.*?</tr>", table.group(0), re.S)


def test_identical_failures_are_one_row_with_their_count(admin_client: Client, shop_failures):
    rows = failed_rows(admin_client.get("/admin/").content.decode())

    assert len(rows) == 3
    (shop_down,) = [row for row in rows if DOWN in row and ">shop<" in row]
    assert 'data-count="20"' in shop_down and "×20" in shop_down
    assert "Retry all 20" in shop_down
    assert sum('data-count="1"' in row for row in rows) == 2


def test_retry_all_retries_that_group_only(admin_client: Client, shop_failures):
    shop, same, other_error, other_integration = shop_failures

    response = admin_client.post(
        "/admin/dashboard/webhooks/retry-group",
        {"integration": str(shop.pk), "error_message": DOWN},
        follow=True,
    )

    assert "20 webhook(s) sent back to pending" in response.content.decode()
    statuses = dict(Webhook.objects.values_list("id", "status"))
    assert {statuses[webhook.pk] for webhook in same} == {WebhookStatus.PENDING}
    assert Webhook.objects.get(pk=same[0].pk).retry_count == 0
    assert statuses[other_error.pk] == statuses[other_integration.pk] == WebhookStatus.FAILED


def test_retry_all_needs_the_change_permission_and_a_post(shop_failures) -> None:
    shop = shop_failures[0]
    viewer = User.objects.create_user("viewer", password="pw-for-tests-only", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhook"))
    client = Client()
    client.force_login(viewer)
    url = "/admin/dashboard/webhooks/retry-group"

    assert client.post(url, {"integration": str(shop.pk), "error_message": DOWN}).status_code == 403
    assert "Retry all" not in client.get("/admin/").content.decode()
    assert not Webhook.objects.filter(status=WebhookStatus.PENDING).exists()


def test_a_bad_integration_id_is_refused_politely(admin_client: Client, shop_failures) -> None:
    response = admin_client.post(
        "/admin/dashboard/webhooks/retry-group",
        {"integration": "not-an-id", "error_message": DOWN},
        follow=True,
    )

    assert response.status_code == 200
    assert "Not an integration id" in response.content.decode()
    assert not Webhook.objects.filter(status=WebhookStatus.PENDING).exists()
