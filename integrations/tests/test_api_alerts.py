"""The alert channels through the REST API: config.alerts validated naming the key, channels
created as the README shows, endpoints refused with a 400, and the alerts API (lists, filters,
pages, and shows only "sent" or "failed")."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations.alerts import alert_record
from integrations.models import Alert, AlertStatus
from integrations.tests.alert_helpers import send_all, telegram_channel
from integrations.tests.channel_servers import (
    BOT_TOKEN,
    SMTP_PASSWORD,
    SMTP_USER,
    smtp_server,
    telegram_server,
)
from integrations.tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def test_config_alerts_is_validated_naming_the_key(api_client):
    def create(alerts):
        return api_client.post(
            "/api/integrations",
            {
                "name": "TG",
                "code": "tg",
                "type": "webhook",
                "provider": "telegram",
                "config": {"chat_id": 1, "alerts": alerts},
            },
            format="json",
        )

    for bad, says in (
        ({"events": ["webhook.exploded"]}, "unknown event 'webhook.exploded'"),
        ({"cooldown_minutes": "soon"}, "cooldown_minutes must be a number"),
        ({"cooldown_minutes": -1}, "cooldown_minutes must be at least 0"),
        ({"integrations": "acme"}, None),
        ([], "must be an object"),
    ):
        answer = create(bad)
        if says is None:
            assert answer.status_code == 201
            api_client.delete(f"/api/integrations/{answer.json()['id']}")
            continue
        assert answer.status_code == 400, bad
        assert any(says in message for message in answer.json()["config"]), answer.json()
        assert any("config.alerts" in message for message in answer.json()["config"])


def test_the_alerts_api_lists_filters_and_pages(api_client):
    with telegram_server() as telegram:
        telegram.script(400, {"ok": False, "error_code": 400, "description": "chat not found"})
        tg = telegram_channel(telegram.url, code="tg")
        other = telegram_channel(telegram.url, code="tg2")
        acme = IntegrationFactory(code="acme")
        alert_record(event="webhook.failed", integration=acme)
        alert_record(event="sync_job.failed", integration=acme)
        send_all()
    everything = api_client.get("/api/alerts").json()
    assert set(everything) >= {"results", "next"} and len(everything["results"]) == 4
    item = everything["results"][0]
    assert set(item) == {
        "id",
        "channel_id",
        "event",
        "integration_id",
        "count",
        "message",
        "status",
        "error_message",
        "created_at",
        "sent_at",
    }
    failed = api_client.get("/api/alerts", {"status": "failed"}).json()["results"]
    assert len(failed) == 1 and "chat not found" in failed[0]["error_message"]
    assert Alert.objects.filter(status=AlertStatus.SENT).count() == 3
    by_channel = api_client.get("/api/alerts", {"channel": str(other.pk)}).json()["results"]
    assert {row["channel_id"] for row in by_channel} == {str(other.pk)} and len(by_channel) == 2
    by_event = api_client.get(
        "/api/alerts", {"event": "sync_job.failed", "channel": str(tg.pk)}
    ).json()["results"]
    assert len(by_event) == 1 and by_event[0]["integration_id"] == str(acme.pk)
    paged = api_client.get("/api/alerts", {"page_size": 1}).json()
    assert len(paged["results"]) == 1 and paged["next"]
    one = api_client.get(f"/api/alerts/{item['id']}")
    assert one.status_code == 200 and one.json()["id"] == item["id"]
    for bad in ({"status": "exploded"}, {"channel": "not-a-uuid"}, {"event": "nope"}):
        answer = api_client.get("/api/alerts", bad)
        assert answer.status_code == 400 and next(iter(bad)) in answer.json()
    assert api_client.post("/api/alerts", {}, format="json").status_code == 405


def test_channels_made_through_the_api_as_the_readme_shows(api_client):
    with telegram_server() as telegram, smtp_server() as mail:
        created = api_client.post(
            "/api/integrations",
            {
                "name": "Ops Telegram",
                "code": "ops-telegram",
                "type": "webhook",
                "provider": "telegram",
                "status": "active",
                "api_endpoint": telegram.url,
                "api_secret": BOT_TOKEN,
                "config": {
                    "chat_id": "-1001234567890",
                    "alerts": {"events": ["webhook.failed"], "cooldown_minutes": 15},
                },
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        assert BOT_TOKEN not in created.content.decode()
        assert created.json()["config"]["alerts"]["events"] == ["webhook.failed"]
        mail_channel = api_client.post(
            "/api/integrations",
            {
                "name": "Ops mail",
                "code": "ops-mail",
                "type": "email",
                "provider": "smtp",
                "status": "active",
                "api_endpoint": mail.url,
                "api_key": SMTP_USER,
                "api_secret": SMTP_PASSWORD,
                "config": {"from": "hub@example.uz", "to": ["ops@example.uz"]},
            },
            format="json",
        )
        assert mail_channel.status_code == 201, mail_channel.json()
        for answer in (created, mail_channel):
            tested = api_client.post(f"/api/integrations/{answer.json()['id']}/test").json()
            assert tested["success"] is True, tested
        assert len(telegram.texts()) == 1 and len(mail.mails) == 1


@pytest.mark.parametrize(
    ("provider", "endpoint"),
    [
        ("smtp", "smtp://[broken"),
        ("smtp", "smtp://mail.example.uz:99999"),
        ("smtp", "smtp://"),
        ("smtp", "smtp://169.254.169.254:25"),
        ("rest", "http://[broken"),
    ],
)
def test_a_bad_endpoint_is_a_400_naming_it(api_client, provider, endpoint):
    answer = api_client.post(
        "/api/integrations",
        {"name": "X", "code": "x", "type": "email", "provider": provider, "api_endpoint": endpoint},
        format="json",
    )
    assert answer.status_code == 400 and "api_endpoint" in answer.json(), answer.content


def test_the_alerts_api_shows_only_sent_or_failed(api_client, settings):
    """CONTRACT: status is "sent"|"failed". An alert still gathering its count is not listed;
    one whose channel failed shows "failed" with the reason at once, while it waits for its
    next try, and "sent" once a try gets through."""
    settings.ALERT_RETRY_BASE_SECONDS = 3600
    with telegram_server() as telegram:
        tg = telegram_channel(telegram.url)
        acme = IntegrationFactory(code="acme")
        alert_record(event="webhook.failed", integration=acme)
        assert Alert.objects.get().status == AlertStatus.PENDING
        listed = api_client.get("/api/alerts").json()["results"]
        assert listed == []
        for status in ("sent", "failed"):
            assert api_client.get("/api/alerts", {"status": status}).json()["results"] == []
        for internal in ("pending", "sending"):
            answer = api_client.get("/api/alerts", {"status": internal})
            assert answer.status_code == 400 and "status" in answer.json()

        telegram.script(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
        assert send_all().retrying == 1
        alert = Alert.objects.get()
        assert alert.status == AlertStatus.PENDING and alert.attempts == 1
        (row,) = api_client.get("/api/alerts").json()["results"]
        assert row["status"] == "failed" and "Bad Gateway" in row["error_message"]
        assert row["sent_at"] is None and row["channel_id"] == str(tg.pk)
        assert api_client.get("/api/alerts", {"status": "sent"}).json()["results"] == []
        (failed,) = api_client.get("/api/alerts", {"status": "failed"}).json()["results"]
        assert failed["id"] == str(alert.pk)
        assert api_client.get(f"/api/alerts/{alert.pk}").json()["status"] == "failed"

        Alert.objects.filter(pk=alert.pk).update(due_at=timezone.now())
        assert send_all().sent == 1
    (row,) = api_client.get("/api/alerts", {"status": "sent"}).json()["results"]
    assert row["status"] == "sent" and row["error_message"] is None and row["sent_at"]
    assert api_client.get("/api/alerts", {"status": "failed"}).json()["results"] == []
    assert len(telegram.texts()) == 1
