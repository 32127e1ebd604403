"""The alerts in a real browser: failures recorded by the hub are sent by the real worker to a
local Telegram server, and the operator finds them in the dashboard's "Needs attention" and in
the admin's alert list (filtered, and one opened), with the message as it was sent."""

from __future__ import annotations

from typing import Any

import pytest

from core.testing.processes import wait_until
from integrations.alerts import alert_record
from integrations.models import Alert
from integrations.tests.alert_helpers import telegram_channel
from integrations.tests.channel_servers import BOT_TOKEN, telegram_server
from integrations.tests.factories import IntegrationFactory
from operations.tests.test_browser import _log_in, _shot, browser_page, processes

__all__ = ["browser_page", "processes"]

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_alerts_sent_by_the_worker_show_on_the_dashboard_and_in_the_alert_list(
    browser_page: Any, live_server: Any
) -> None:
    page = browser_page
    acme = IntegrationFactory(code="acme", name="Acme ERP")
    with telegram_server() as telegram, telegram_server() as refusing:
        refusing.script(400, {"ok": False, "error_code": 400, "description": "chat not found"})
        telegram_channel(telegram.url, code="ops-telegram")
        telegram_channel(refusing.url, code="wrong-chat")
        for number in range(3):
            alert_record(event="webhook.failed", integration=acme, detail=f"webhook {number}")
        # Sent by the worker once the burst is over (ALERT_QUIET_SECONDS), never by this test.
        done = wait_until(
            lambda: set(Alert.objects.values_list("status", flat=True)) == {"sent", "failed"},
            timeout=60,
            interval=0.5,
        )
        assert done, list(Alert.objects.values("status", "error_message"))
        assert len(telegram.texts()) == 1 and "Count: 3" in telegram.texts()[0]

    _log_in(page, live_server)
    rows = page.locator("#vh-alerts tbody tr")
    assert rows.count() == 2
    text = page.locator("#vh-alerts").inner_text()
    assert "webhook.failed" in text and "acme" in text and "ops-telegram" in text
    assert "failed: Telegram sendMessage: HTTP 400: chat not found" in text
    _shot(page, "dashboard-latest-alerts")

    page.click("#vh-attention >> text=All alerts")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 2
    page.click("#changelist-filter >> text=Failed")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 1
    assert "wrong-chat" in page.locator("#result_list").inner_text()
    page.click("#changelist-filter >> text=Sent")
    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_selector(".field-message")
    message = page.locator(".field-message").inner_text()
    assert "VendHub alert: webhook.failed" in message and "Acme ERP (acme)" in message
    assert "Count: 3" in message
    # Read-only: no save button, and the bot token nowhere on the page.
    assert page.locator("input[name=_save]").count() == 0
    assert BOT_TOKEN not in page.content()
    _shot(page, "alert-detail")
