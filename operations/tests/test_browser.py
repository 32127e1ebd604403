"""The cockpit in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright,
against a live web server, a real Celery worker and a real beat.

An operator logs in; creates an integration with secrets and sees them masked; a webhook whose
forward fails is retried from the dashboard and completes; a sync against the local 1C server
moves its bar on the dashboard to the end with no page reload; an invoice paid through the Payme
endpoint shows in the dashboard's payments. Screenshots go to ``var/screenshots/`` (kept by CI).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from core.testing.browser import chromium_page
from core.testing.processes import wait_until
from core.testing.servers import REPO_ROOT
from core.testing.worker import celery_beat, celery_worker

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", str(REPO_ROOT / "var" / "screenshots")))
PASSWORD = "operator-password-4812"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
    pytest.skip(
        f"chromium is not installed at {CHROMIUM} (apt-get install -y chromium); "
        "the browser tests need it",
        allow_module_level=True,
    )
playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (requirements-dev.txt)"
)


@pytest.fixture(scope="module")
def processes(django_db_setup, django_db_blocker) -> Iterator[None]:
    """One worker and one beat for the module's tests, on the test database and the suite's
    broker (emptied of old messages first: Redis or RabbitMQ)."""
    from core.testing.queues import empty_broker

    broker_url = os.environ["CELERY_BROKER_URL"]
    empty_broker(broker_url)
    with (
        django_db_blocker.unblock(),
        celery_worker(broker_url=broker_url),
        celery_beat(broker_url=broker_url),
    ):
        yield


@pytest.fixture
def browser_page(live_server, settings, monkeypatch, processes) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        yield page


def _log_in(page: Any, live_server: Any) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("operator", "operator@example.uz", PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#vh-dashboard")
    assert page.locator("h1").first.inner_text() == "Dashboard"


def _shot(page: Any, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_log_in_and_create_an_integration_whose_secrets_stay_masked(browser_page, live_server):
    from integrations.models import Integration

    page = browser_page
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/integrations/integration/add/")
    page.fill("#id_name", "Warehouse ERP")
    page.fill("#id_code", "warehouse")
    page.select_option("#id_type", "erp")
    page.fill("#id_provider", "rest")
    page.fill("#id_api_endpoint", "https://erp.example.uz/api")
    page.fill("#id_api_key_input", "erp-api-key-visible-nowhere-1")
    page.fill("#id_api_secret_input", "erp-api-secret-visible-nowhere-2")
    page.fill("#id_webhook_secret_input", "erp-webhook-secret-visible-nowhere-3")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    integration = Integration.objects.get(code="warehouse")
    assert integration.api_key == "erp-api-key-visible-nowhere-1"  # stored, decrypts
    html = page.content()
    for secret in ("visible-nowhere-1", "visible-nowhere-2", "visible-nowhere-3"):
        assert secret not in html
    # The inputs are password fields and come back empty; the page says which secrets are set.
    assert page.get_attribute("#id_api_key_input", "type") == "password"
    assert page.input_value("#id_api_key_input") == ""
    assert (
        "api_key: set; api_secret: set; webhook_secret: set"
        in page.locator(".field-secret_status").inner_text()
    )
    _shot(page, "integration-secrets-masked")

    page.goto(f"{live_server.url}/admin/")
    row = page.locator('#vh-integrations tr[data-code="warehouse"]')
    assert "Warehouse ERP" in row.inner_text()


def test_a_failed_webhook_is_retried_from_the_dashboard_and_completes(
    browser_page, live_server, forward_server
):
    from integrations.tests.factories import IntegrationFactory
    from webhooks.models import Webhook, WebhookStatus

    IntegrationFactory(
        code="shop",
        name="Online shop",
        provider="shop",
        config={"forward_url": forward_server.url, "retry_attempts": 0, "timeout": 2000},
    )
    forward_server.status = 502
    body = json.dumps({"id": "evt-1001", "type": "order.paid", "amount": 1500}).encode()
    answer = requests.post(
        f"{live_server.url}/api/webhooks/receive/shop",
        data=body,
        headers={"Content-Type": "application/json", "X-Request-ID": "browser-test-1"},
        timeout=10,
    )
    assert answer.status_code == 202
    assert answer.headers["X-Request-ID"] == "browser-test-1"
    webhook_id = answer.json()["id"]

    def status() -> str:
        return Webhook.objects.values_list("status", flat=True).get(pk=webhook_id)

    assert wait_until(lambda: status() == WebhookStatus.FAILED, timeout=30), status()

    page = browser_page
    _log_in(page, live_server)
    row = page.locator(f'#vh-failed-webhooks tr[data-webhook-id="{webhook_id}"]')
    assert "502" in row.inner_text()
    assert "shop" in page.locator("#vh-webhook-chart").inner_text()
    _shot(page, "dashboard")
    forward_server.status = 200
    row.locator("button.vh-retry").click()
    page.wait_for_selector(".messagelist .success")
    assert "sent back to pending" in page.locator(".messagelist").inner_text()

    assert wait_until(lambda: status() == WebhookStatus.COMPLETED, timeout=30), status()
    page.reload()
    assert page.locator(f'tr[data-webhook-id="{webhook_id}"]').count() == 0
    assert "1 received · 1 completed · 0 failed" in page.locator("#vh-webhook-chart").inner_text()
    _shot(page, "dashboard-after-retry")

    page.goto(f"{live_server.url}/admin/webhooks/webhook/")
    assert "order.paid" in page.locator("#result_list").inner_text()
    _shot(page, "webhook-list")


def test_a_sync_moves_its_bar_on_the_dashboard_to_the_end_without_a_reload(
    browser_page, live_server
):
    from core.testing.onec_server import (
        CATALOGUE,
        USERNAME,
        ODataServer,
        catalogue_item,
    )
    from core.testing.onec_server import (
        PASSWORD as ONEC_PASSWORD,
    )
    from integrations.tests.factories import IntegrationFactory
    from syncjobs.models import SyncJob

    with ODataServer() as onec:
        onec.entity_sets[CATALOGUE] = [catalogue_item(n) for n in range(1, 21)]
        onec.delay_seconds = 0.15  # three entities of ten pages each: a few seconds in all
        integration = IntegrationFactory(
            code="onec",
            name="1C Accounting",
            type="erp",
            provider="1c",
            api_endpoint=onec.root,
            api_key=USERNAME,
            api_secret=ONEC_PASSWORD,
            config={
                "mapping": {"products": CATALOGUE, "prices": CATALOGUE, "stock": CATALOGUE},
                "page_size": 2,
                "timeout": 5000,
                "http_retries": 0,
            },
        )
        page = browser_page
        _log_in(page, live_server)
        page.evaluate("window.vhNoReload = true")
        assert page.locator("#vh-sync-jobs .vh-empty").is_visible()

        # Start it as an operator would: the integration page's "Sync now" button (which POSTs).
        dashboard = page
        other = page.context.new_page()
        other.goto(f"{live_server.url}/admin/integrations/integration/{integration.pk}/change/")
        other.locator("form.vh-object-button button", has_text="Sync now").click()
        other.wait_for_selector(".messagelist")
        other.close()

        job_row = dashboard.locator("#vh-job-rows tr").first
        job_row.wait_for(timeout=15_000)  # the poll brought the new job in
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen.add(int(job_row.locator(".vh-bar").get_attribute("aria-valuenow") or 0))
            if job_row.get_attribute("data-status") == "completed":
                break
            dashboard.wait_for_timeout(200)
        assert job_row.get_attribute("data-status") == "completed", seen
        assert job_row.locator(".vh-job-percent").inner_text() == "100%"
        assert job_row.locator(".vh-bar-fill").evaluate("el => el.style.width") == "100%"
        assert any(0 <= value < 100 for value in seen), seen  # it moved while we watched
        assert dashboard.evaluate("window.vhNoReload") is True  # the same page all along
        _shot(dashboard, "dashboard-sync-progress")

    job = SyncJob.objects.get(integration=integration)
    assert (job.status, job.records_processed) == ("completed", 60)


def test_an_invoice_paid_through_payme_shows_on_the_dashboard(browser_page, live_server):
    from integrations.tests.factories import IntegrationFactory
    from payments.models import InvoiceStatus, PaymentInvoice
    from payments.services import invoice_create

    merchant_key = "payme-cash-register-key-&3Xq9"
    IntegrationFactory(
        code="payme",
        name="Payme",
        type="payment_gateway",
        provider="payme",
        api_key="5e730e8e0b852a417aa49ceb",
        api_secret=merchant_key,
    )
    invoice = invoice_create(order_id="order-7001", amount=250_000, description="Coffee #12")
    authorization = "Basic " + base64.b64encode(f"Paycom:{merchant_key}".encode()).decode()

    def call(method: str, params: dict[str, Any]) -> Any:
        response = requests.post(
            f"{live_server.url}/api/webhooks/receive/payme",
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            headers={"Authorization": authorization},
            timeout=10,
        )
        assert response.status_code == 200
        body = response.json()
        assert "error" not in body, body
        return body["result"]

    payme_id = "6405e3bab097f420a62ced0c"
    created = call(
        "CreateTransaction",
        {
            "id": payme_id,
            "time": int(time.time() * 1000),
            "amount": 250_000,
            "account": {"order_id": "order-7001"},
        },
    )
    assert created["state"] == 1
    assert call("PerformTransaction", {"id": payme_id})["state"] == 2
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert PaymentInvoice.objects.get(pk=invoice.pk).provider == "payme"

    page = browser_page
    _log_in(page, live_server)
    performed = page.locator('#vh-payments tr[data-provider="payme"][data-state="2"]')
    assert performed.inner_text().split("\t") == ["payme", "Performed", "1", "2500"]
    _shot(page, "dashboard-payments")


def test_healthz_sees_the_running_worker_and_beat(browser_page, live_server):
    from integrations.tasks import worker_heartbeat

    worker_heartbeat.delay()  # what beat sends every minute, run by the real worker
    page = browser_page

    def body() -> Any:
        response = page.goto(f"{live_server.url}/healthz")
        return response.json()

    def healthy(answer: Any) -> bool:
        # ``beat`` also names the leading beat (CONTRACT "Several hosts"): "ok (leader …)".
        checks = {key: answer.get(key) for key in ("status", "database", "broker", "worker")}
        return checks == dict.fromkeys(checks, "ok") and str(answer.get("beat")).startswith("ok")

    assert wait_until(lambda: healthy(body()), timeout=45, interval=1), body()
