"""The alert channels against servers that speak their protocols: Telegram's Bot API, SMTP
(aiosmtpd) and Eskiz's SMS API, and their connection tests (the alerts API and config.alerts:
``test_api_alerts``)."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.http import IntegrationHttpClient
from integrations.models import ChannelToken
from integrations.providers.base import ChannelError
from integrations.providers.eskiz import Eskiz
from integrations.providers.smtp import Smtp
from integrations.tests.alert_helpers import eskiz_channel, send_all, smtp_channel, telegram_channel
from integrations.tests.channel_servers import (
    BOT_TOKEN,
    SMTP_USER,
    eskiz_server,
    self_signed_certificate,
    smtp_server,
    telegram_server,
)
from integrations.tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def test_the_smtp_channel_mails_each_recipient_with_the_login_and_a_short_subject():
    acme = IntegrationFactory(code="acme", name="Acme ERP")
    with smtp_server() as mail:
        channel = smtp_channel(mail.url)
        alert_record(event="sync_job.failed", integration=acme, detail="HTTP 503 from 1C")
        alert_record(event="sync_job.failed", integration=acme, detail="HTTP 503 from 1C")
        assert send_all().sent == 1
    [message] = mail.mails
    assert mail.logins == [SMTP_USER]
    assert mail.envelopes == [
        {"from": "hub@vendhub.uz", "to": ["ops@vendhub.uz", "cto@vendhub.uz"]}
    ]
    assert message["Subject"] == "[VendHub] sync_job.failed: acme (2)"
    body = mail.texts()[0]
    assert "Count: 2" in body and "2 sync jobs failed" in body and "Acme ERP (acme)" in body
    assert "Latest: manual_sync" not in body and "HTTP 503 from 1C" in body
    log = channel.logs.get(action="send_message")
    assert log.endpoint == f"SMTP smtp://127.0.0.1:{mail.port}"
    assert log.status_code == 250 and log.error_message is None
    assert log.request_data["to"] == ["ops@vendhub.uz", "cto@vendhub.uz"]
    assert log.request_data["tls"] is False  # the server offers no STARTTLS
    assert "password" not in str(log.request_data).lower()


needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the TLS tests make their certificate with openssl"
)


@needs_openssl
def test_smtp_takes_starttls_when_offered_unless_config_says_not(tmp_path, monkeypatch):
    certificate = self_signed_certificate(tmp_path)
    with smtp_server(certificate=certificate) as mail:
        channel = smtp_channel(mail.url)
        # Offered, and the certificate is not trusted: the mail does not go in clear text.
        with pytest.raises(ChannelError, match="SSLCertVerificationError"):
            Smtp().send_message(channel, IntegrationHttpClient(channel), subject="s", text="t")
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # now trusted
        Smtp().send_message(channel, IntegrationHttpClient(channel), subject="s", text="t")
        plain = smtp_channel(mail.url, code="plain-mail", starttls=False)
        Smtp().send_message(plain, IntegrationHttpClient(plain), subject="s", text="t")
    assert channel.logs.filter(status_code=250).get().request_data["tls"] is True
    assert plain.logs.get().request_data["tls"] is False
    assert len(mail.mails) == 2


@needs_openssl
def test_smtps_speaks_tls_from_the_start(tmp_path, monkeypatch):
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with smtp_server(certificate=certificate, implicit_tls=True) as mail:
        channel = smtp_channel(mail.url.replace("smtp://", "smtps://"))
        Smtp().send_message(channel, IntegrationHttpClient(channel), subject="s", text="over TLS")
    assert [text.strip() for text in mail.texts()] == ["over TLS"]
    assert channel.logs.get().request_data["tls"] is True


def test_a_refused_smtp_login_is_a_clear_failure_without_the_password():
    with smtp_server() as mail:
        channel = smtp_channel(mail.url)
        channel.api_secret = "wrong-password-123"
        channel.save()
        with pytest.raises(ChannelError, match="the login was refused") as raised:
            Smtp().send_message(channel, IntegrationHttpClient(channel), subject="s", text="t")
    assert "wrong-password-123" not in str(raised.value)
    log = channel.logs.get()
    assert "the login was refused" in (log.error_message or "")
    assert "wrong-password-123" not in str(log.request_data) + str(log.error_message)
    assert not mail.mails


def test_smtp_endpoints_must_name_a_mail_server(api_client):
    answer = api_client.post(
        "/api/integrations",
        {
            "name": "Mail",
            "code": "mail",
            "type": "email",
            "provider": "smtp",
            "api_endpoint": "https://mail.example.com",
        },
        format="json",
    )
    assert answer.status_code == 400 and "api_endpoint" in answer.json()
    unreachable = smtp_channel("smtp://127.0.0.1:1")
    with pytest.raises(ChannelError, match=r"SMTP smtp://127\.0\.0\.1:1: ConnectionRefusedError"):
        Smtp().send_message(unreachable, IntegrationHttpClient(unreachable), subject="s", text="t")


def test_eskiz_logs_in_once_keeps_the_token_encrypted_and_sends_one_sms_per_number():
    with eskiz_server() as eskiz:
        channel = eskiz_channel(eskiz.url)
        alert_record(event="fiscal_receipt.failed", integration=IntegrationFactory(code="kassa"))
        alert_record(event="webhook.failed", integration=IntegrationFactory(code="erp"))
        assert send_all().sent == 2
        assert eskiz.logins == 1  # the token is kept between sends
    numbers = sorted(sms["mobile_phone"] for sms in eskiz.sms)
    assert numbers == ["998901112233", "998901112233", "998901234567", "998901234567"]
    assert all(sms["from"] == "4546" for sms in eskiz.sms)
    assert any("fiscal_receipt.failed" in sms["message"] for sms in eskiz.sms)
    token = ChannelToken.objects.get(integration=channel).token
    assert token in eskiz.tokens
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM channel_tokens")
        [(stored,)] = cursor.fetchall()
    assert stored.startswith("enc:v1:") and token not in stored


def test_eskiz_logs_in_again_on_401_and_renews_an_old_token():
    with eskiz_server() as eskiz:
        channel = eskiz_channel(eskiz.url)
        client = IntegrationHttpClient(channel)
        Eskiz().send_message(channel, client, subject="s", text="one")
        eskiz.revoke_tokens()  # the token expired at Eskiz
        Eskiz().send_message(channel, client, subject="s", text="two")
        assert eskiz.logins == 2 and len(eskiz.sms) == 4
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            Eskiz().send_message(channel, IntegrationHttpClient(channel), subject="s", text="3")
        assert eskiz.refreshes == 1 and eskiz.logins == 2
        assert ChannelToken.objects.get(integration=channel).token in eskiz.tokens
        eskiz.password = "changed"
        eskiz.revoke_tokens()
        with pytest.raises(ChannelError, match=r"Eskiz login: HTTP 401 \(the login was refused\)"):
            Eskiz().send_message(channel, IntegrationHttpClient(channel), subject="s", text="4")


def test_eskiz_refuses_a_number_that_is_not_uzbek():
    with eskiz_server() as eskiz:
        channel = eskiz_channel(eskiz.url, to=["+7 912 000 00 00"])
        with pytest.raises(ChannelError, match="is not a phone number 998XXXXXXXXX"):
            Eskiz().send_message(channel, IntegrationHttpClient(channel), subject="s", text="t")
        assert eskiz.requests == []


def test_the_telegram_connection_test_asks_getme_then_sends_a_message(api_client):
    with telegram_server() as telegram:
        channel = telegram_channel(telegram.url)
        answer = api_client.post(f"/api/integrations/{channel.pk}/test")
        assert answer.status_code == 200
        body = answer.json()
        assert body["success"] is True and body["message"] == "@vendhub_bot: test message sent"
        assert [request["path"].rsplit("/", 1)[1] for request in telegram.requests] == [
            "getMe",
            "sendMessage",
        ]
        assert telegram.texts() == [
            "VendHub test message: alerts reach this channel (Ops Telegram, ops-telegram)."
        ]
        # A wrong token: Telegram's 401, said plainly, the token nowhere.
        channel.api_secret = "999:wrong-token-abcdef"
        channel.save()
        failed = api_client.post(f"/api/integrations/{channel.pk}/test").json()
    assert failed["success"] is False and failed["status_code"] == 401
    assert failed["message"] == "Telegram getMe: HTTP 401: Unauthorized"
    endpoints = list(channel.logs.values_list("endpoint", flat=True))
    assert endpoints and all("/bot[REDACTED]/" in endpoint for endpoint in endpoints)
    assert not any(BOT_TOKEN in e or "wrong-token" in e for e in endpoints)


def test_the_test_integration_command_sends_a_test_mail_and_eskiz_sms(capsys):
    with smtp_server() as mail, eskiz_server() as eskiz:
        smtp_channel(mail.url)
        eskiz_channel(eskiz.url)
        call_command("test_integration", "ops-mail")
        call_command("test_integration", "ops-sms")
        assert mail.mails[0]["Subject"] == "VendHub test message (ops-mail)"
        assert len(eskiz.sms) == 2
    out = capsys.readouterr().out
    assert "ops-mail: test message sent" in out and "ops-sms: logged in: test message sent" in out
    with smtp_server() as mail:
        url = mail.url
    smtp_channel(url, code="gone-mail")
    with pytest.raises(SystemExit) as exit_status:
        call_command("test_integration", "gone-mail")
    assert exit_status.value.code == 1


def test_telegram_sends_the_chat_id_as_configured():
    """gateways.md 6: {"chat_id": <config.chat_id>}: a numeric id stays a number on the wire,
    a string (an @channel name, or a quoted id) stays the string."""
    with telegram_server() as telegram:
        numeric = telegram_channel(telegram.url, code="tg-num")
        numeric.config = {**numeric.config, "chat_id": -1001234567890}
        numeric.save(update_fields=["config"])
        named = telegram_channel(telegram.url, code="tg-name")
        named.config = {**named.config, "chat_id": "@vendhub_ops"}
        named.save(update_fields=["config"])
        alert_record(event="worker.down")
        assert send_all().sent == 2
    assert sorted(map(repr, (m["chat_id"] for m in telegram.messages))) == [
        "'@vendhub_ops'",
        "-1001234567890",
    ]
