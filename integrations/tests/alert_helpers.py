"""Channels for the alert tests, made through the service as an operator's API call would."""

from __future__ import annotations

from typing import Any

from integrations.alerts import alerts_send_due
from integrations.alerts.services import SendReport
from integrations.models import Integration
from integrations.services import integration_create
from integrations.tests.channel_servers import (
    BOT_TOKEN,
    ESKIZ_EMAIL,
    ESKIZ_PASSWORD,
    SMTP_PASSWORD,
    SMTP_USER,
)


def telegram_channel(url: str, *, code: str = "ops-telegram", **config: Any) -> Integration:
    return integration_create(
        data={
            "name": "Ops Telegram",
            "code": code,
            "type": "webhook",
            "provider": "telegram",
            "status": "active",
            "api_endpoint": url,
            "api_secret": BOT_TOKEN,
            "config": {"chat_id": "-100123", **config},
        }
    )


def smtp_channel(
    url: str, *, code: str = "ops-mail", login: bool = True, **config: Any
) -> Integration:
    data: dict[str, Any] = {
        "name": "Ops mail",
        "code": code,
        "type": "email",
        "provider": "smtp",
        "status": "active",
        "api_endpoint": url,
        "config": {"from": "hub@vendhub.uz", "to": ["ops@vendhub.uz", "cto@vendhub.uz"], **config},
    }
    if login:
        data.update(api_key=SMTP_USER, api_secret=SMTP_PASSWORD)
    return integration_create(data=data)


def eskiz_channel(url: str, *, code: str = "ops-sms", **config: Any) -> Integration:
    return integration_create(
        data={
            "name": "Ops SMS",
            "code": code,
            "type": "sms",
            "provider": "eskiz",
            "status": "active",
            "api_endpoint": url + "/api",
            "api_key": ESKIZ_EMAIL,
            "api_secret": ESKIZ_PASSWORD,
            "config": {"from": "4546", "to": ["+998 90 123-45-67", "998901112233"], **config},
        }
    )


def send_all(rounds: int = 10) -> SendReport:
    """Send until nothing is due (a channel that fails is retried at once: no backoff in
    these tests)."""
    total = SendReport()
    for _ in range(rounds):
        report = alerts_send_due()
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        if not (report.sent or report.retrying or report.failed):
            break
    return total
