"""The dashboard and the admin in a real browser (headless Chromium through Playwright, against a
live server, at 1400 px): what the eye catches and the HTML tests do not. A running sync with an
unknown total says so on one line, words whole; screenshots go to ``var/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import factory
import pytest

from core.testing.browser import chromium_page
from operations.tests.test_browser import PASSWORD, SCREENSHOTS, _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page() as new_page:
        yield new_page


def log_in(page: Any, live_server: Any) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("operator", "operator@example.uz", PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#vh-dashboard")


def lines_of(locator: Any) -> int:
    """How many lines of text the element takes (one rectangle per line of an inline box)."""
    count: int = locator.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }"
    )
    return count


def test_running_sync_with_unknown_total_says_so_on_one_line(page: Any, live_server: Any) -> None:
    from integrations.tests.factories import IntegrationFactory
    from syncjobs.models import SyncJobStatus
    from syncjobs.tests.factories import SyncJobFactory

    for n in range(3):
        IntegrationFactory(
            code=f"erp-{n}", metadata={"last_test_ok": False, "last_test_message": "x " * 80}
        )
    integration = IntegrationFactory(code="onec-accounting", provider="1c", type="erp")
    SyncJobFactory(
        integration=integration,
        status=SyncJobStatus.RUNNING,
        records_processed=8000,
        metadata={
            "progress": {
                "percent": None,
                "message": "Catalog_Номенклатура (1/3): page 16, 8000 read",
            }
        },
    )
    log_in(page, live_server)

    row = page.locator("#vh-job-rows tr").first
    label = row.locator(".vh-job-percent")
    assert label.inner_text() == "8,000 records, total unknown"
    assert lines_of(label) == 1
    assert row.locator(".vh-bar").get_attribute("aria-valuenow") is None
    message = row.locator(".vh-job-message")
    # Wrapped, if at all, between words: each line ends where a word ends.
    words = message.inner_text().split()
    assert lines_of(message) <= len(words)
    assert "Catalog_Номенклатура" in message.inner_text()
    page.wait_for_timeout(2500)  # a poll of the progress JSON redraws the row the same way
    assert label.inner_text() == "8,000 records, total unknown"
    _shot(page, "dashboard-sync-unknown-total")
    page.locator("#vh-sync-jobs").screenshot(path=str(SCREENSHOTS / "sync-jobs-card.png"))


def test_the_lockout_page_looks_like_the_admin(page: Any, live_server: Any, settings: Any) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("operator", "operator@example.uz", PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", "operator")
        page.fill("#id_password", "a wrong guess")
        page.click("input[type=submit]")

    assert page.locator("#header").is_visible()
    assert page.locator("h1").inner_text() == "Too many failed logins"
    assert "Try again in 15 minutes" in page.locator("#content-main").inner_text()
    assert page.locator("a", has_text="Back to the login page").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "admin-lockout.png"))


def test_failed_webhooks_grouped_and_the_webhook_list_fits_1400px(
    page: Any, live_server: Any
) -> None:
    from integrations.tests.factories import IntegrationFactory
    from webhooks.tests.factories import WebhookFactory

    shop = IntegrationFactory(code="online-shop-tashkent", name="Online shop")
    error = (
        "forward to https://erp.vendhub.example.uz/api/v2/integrations/webhooks/inbound/"
        "order-events?source=hub answered HTTP 502 Bad Gateway after 3 tries: upstream "
        "connect error or disconnect/reset before headers"
    )
    WebhookFactory.create_batch(
        20,
        integration=shop,
        event_type="order.payment_completed",
        status="failed",
        retry_count=3,
        error_message=error,
        external_id=factory.Sequence(lambda n: f"evt-2026-12-07-00000000000000000000000{n:05}"),
    )
    log_in(page, live_server)

    rows = page.locator("#vh-failed-webhooks tbody tr")
    assert rows.count() == 1
    assert "Retry all 20" in rows.first.inner_text()
    button = rows.first.locator("button.vh-retry-all").bounding_box()
    card = page.locator("#vh-attention").bounding_box()
    assert button and card and button["x"] + button["width"] <= card["x"] + card["width"]
    page.locator("#vh-attention").screenshot(path=str(SCREENSHOTS / "dashboard-failed-groups.png"))

    page.goto(f"{live_server.url}/admin/webhooks/webhook/")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    table_right = page.evaluate(
        "() => document.querySelector('#result_list').getBoundingClientRect().right"
    )
    _shot(page, "webhook-list-1400")
    assert overflow <= 0, overflow
    assert table_right <= 1400, table_right
