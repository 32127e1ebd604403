"""A webhook's story in a real browser (headless Chromium through Playwright, a live server and a
real Celery worker): a delivery whose forward fails shows its try on the webhook's page with a
link to that try's log; the Replay button, after asking, sends it to the worker again and the
timeline shows the second, successful try below the first. Screenshots: ``webhook-attempts.png``
and ``webhook-attempts-after-replay.png`` in ``var/screenshots/``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from core.testing.browser import (
    chromium_page,
    log_in_to_admin,
    screenshot,
    skip_without_chromium,
)
from core.testing.processes import wait_until
from core.testing.worker import celery_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

skip_without_chromium()

PASSWORD = "operator-password-5190"


@pytest.fixture
def page(live_server, settings, monkeypatch, worker_broker_url) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with celery_worker(broker_url=worker_broker_url), chromium_page() as browser_page:
        yield browser_page


def test_the_attempts_timeline_and_the_replay_button(page, live_server, forward_server):
    from integrations.tests.factories import IntegrationFactory
    from webhooks.models import Webhook, WebhookStatus

    IntegrationFactory(
        code="till",
        provider="till",
        config={"forward_url": forward_server.url, "retry_attempts": 0, "timeout": 2000},
    )
    forward_server.status = 502
    # Received in this thread (whose connection the page's end closes): a receive served by
    # the live server's request thread would leave its connection open past the test.
    answer = Client().post(
        "/api/webhooks/receive/till",
        data=json.dumps({"id": "evt-till-1", "type": "sale.closed"}),
        content_type="application/json",
    )
    assert answer.status_code == 202
    webhook_id = answer.json()["id"]

    def status() -> str:
        return Webhook.objects.values_list("status", flat=True).get(pk=webhook_id)

    assert wait_until(lambda: status() == WebhookStatus.FAILED, timeout=30), status()

    log_in_to_admin(page, live_server.url, username="operator", password=PASSWORD)
    webhook_page = f"{live_server.url}/admin/webhooks/webhook/{webhook_id}/change/"
    page.goto(webhook_page)
    rows = page.locator("#vh-attempts tbody tr")
    assert rows.count() == 1
    first = rows.nth(0).inner_text()
    assert "Failure" in first and "502" in first and "ms" in first
    assert "gave up after 1 attempt" in page.locator(".field-error_message").inner_text()
    screenshot(page, "webhook-attempts")

    # The try's log is one click away.
    rows.nth(0).get_by_role("link", name="log").click()
    page.wait_for_url("**/admin/integrations/integrationlog/**")
    assert "webhook_forward" in page.content()
    page.goto(webhook_page)

    forward_server.status = 200
    page.get_by_role("link", name="Replay…").click()
    assert "earlier attempts are kept" in page.content()
    page.click("input[type=submit][value='Yes, replay']")
    page.wait_for_selector(".messagelist li")
    assert "queued to be replayed" in page.locator(".messagelist").inner_text()

    assert wait_until(lambda: status() == WebhookStatus.COMPLETED, timeout=30), status()
    page.reload()
    rows = page.locator("#vh-attempts tbody tr")
    assert rows.count() == 2
    assert "Failure" in rows.nth(0).inner_text()
    second = rows.nth(1).inner_text()
    assert "Success" in second and "200" in second
    assert page.locator("#vh-attempts tr[data-number='2'].vh-attempt-success").count() == 1
    assert screenshot(page, "webhook-attempts-after-replay").exists()
    assert len(forward_server.requests) == 2
