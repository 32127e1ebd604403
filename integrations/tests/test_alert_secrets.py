"""The leak scan of the alert channels: the bot token (in Telegram's URL path), the SMTP
password, and Eskiz's password and tokens never appear in an integration log, an alert, an API
response, an application log line or an exception's text, whatever the channel answered."""

from __future__ import annotations

import json
import logging

import pytest

from integrations.alerts import alert_record
from integrations.http import IntegrationHttpClient
from integrations.models import Alert, IntegrationLog
from integrations.providers.base import ChannelError
from integrations.providers.telegram import Telegram
from integrations.tests.alert_helpers import (
    eskiz_channel,
    send_all,
    smtp_channel,
    telegram_channel,
)
from integrations.tests.channel_servers import (
    BOT_TOKEN,
    ESKIZ_PASSWORD,
    SMTP_PASSWORD,
    eskiz_server,
    smtp_server,
    telegram_server,
)
from integrations.tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def test_no_channel_credential_anywhere(api_client, caplog):
    caplog.set_level(logging.DEBUG)
    acme = IntegrationFactory(code="acme")
    errors: list[str] = []
    with telegram_server() as telegram, smtp_server() as mail, eskiz_server() as eskiz:
        tg = telegram_channel(telegram.url)
        smtp_channel(mail.url)
        sms = eskiz_channel(eskiz.url)
        # Telegram refuses once (echoing the token in its description), then errs, then works.
        telegram.script(
            400, {"ok": False, "error_code": 400, "description": f"bad token {BOT_TOKEN}"}
        )
        telegram.script(500, {"ok": False, "error_code": 500, "description": "Internal"})
        for event in ("webhook.failed", "sync_job.failed", "integration.failing"):
            alert_record(event=event, integration=acme, detail="something broke")
        eskiz.revoke_tokens()  # no token yet: the first send logs in
        send_all()
        eskiz.revoke_tokens()  # the kept token is refused: logged in again
        alert_record(event="backlog", integration=acme, count=2)
        send_all()
        for test in ("ops-telegram", "ops-mail", "ops-sms"):
            errors.append(json.dumps(api_client.post(f"/api/integrations/{_id(test)}/test").json()))
        # A channel that answers nothing: the error names no URL.
        with telegram_server() as gone:
            url = gone.url
        tg.api_endpoint = url
        tg.save()
        try:
            Telegram().send_message(tg, IntegrationHttpClient(tg), subject="s", text="t")
        except ChannelError as error:
            errors.append(str(error))
        secrets = [BOT_TOKEN, SMTP_PASSWORD, ESKIZ_PASSWORD, *eskiz.issued]
        assert eskiz.logins >= 2 and len(eskiz.issued) >= 2

    # What is searched must hold what was done, or a leak could not show.
    assert Alert.objects.filter(status="sent").count() >= 8
    assert Alert.objects.filter(status="failed").count() == 1
    assert IntegrationLog.objects.filter(integration=sms, action="login").count() >= 2
    logs = [
        json.dumps(
            [row.endpoint, row.request_data, row.response_data, row.error_message, row.metadata],
            ensure_ascii=False,
        )
        for row in IntegrationLog.objects.all()
    ]
    assert any("/bot[REDACTED]/sendMessage" in line for line in logs)
    alerts = [json.dumps([a.message, a.error_message, a.detail]) for a in Alert.objects.all()]
    pages = [
        api_client.get("/api/alerts?page_size=100").content.decode(),
        api_client.get("/api/integration-logs?page_size=100").content.decode(),
        *(api_client.get(f"/api/integrations/{_id(code)}").content.decode() for code in CODES),
    ]
    lines = [record.getMessage() for record in caplog.records] + [caplog.text]
    for secret in secrets:
        for where, texts in (
            ("integration log", logs),
            ("alert", alerts),
            ("API", pages),
            ("log line", lines),
            ("error", errors),
        ):
            assert not any(secret in text for text in texts), f"{secret[:6]}… in an {where}"


CODES = ("ops-telegram", "ops-mail", "ops-sms")


def _id(code: str) -> str:
    from integrations.models import Integration

    return str(Integration.objects.get(code=code).pk)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "POST https://api.telegram.org/bot42:AAF-x_y/sendMessage",
            "POST https://api.telegram.org/bot[REDACTED]/sendMessage",
        ),
        ('"GET /bot42:AAF?x=1 HTTP/1.1" 200', '"GET /bot[REDACTED]?x=1 HTTP/1.1" 200'),
        ("smtp://alerts:pa55@mail.example.uz:587", "smtp://[REDACTED]@mail.example.uz:587"),
        ("GET https://erp.example.uz/bottles/1", "GET https://erp.example.uz/bottles/1"),
        ("mail ops@vendhub.uz", "mail ops@vendhub.uz"),
    ],
)
def test_credentials_in_urls_are_masked_even_when_not_stored(text, shown):
    from integrations.redaction import redact_url_credentials

    assert redact_url_credentials(text) == shown
