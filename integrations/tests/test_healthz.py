"""``GET /healthz``: 200 when the database and the broker answer, else 503; each check named with
``ok`` or the failure; the worker and beat from their heartbeats; never a host name or secret."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from celery import current_app as celery_app
from django.utils import timezone

from core.testing.servers import free_port
from integrations.heartbeats import beat_heartbeat_record
from integrations.models import BeatHeartbeat, WorkerHeartbeat
from integrations.tasks import worker_heartbeat
from integrations.watchers import start_beat_heartbeat

pytestmark = pytest.mark.django_db


def test_all_checks_ok_without_a_key(anonymous_client) -> None:
    worker_heartbeat(hostname="celery@box-17")
    beat_heartbeat_record()

    response = anonymous_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
        "beat": "ok",
    }
    assert "box-17" not in response.content.decode()


def test_missing_and_stale_heartbeats_are_named_but_keep_200(anonymous_client) -> None:
    WorkerHeartbeat.objects.create(
        hostname="celery@old", last_seen_at=timezone.now() - timedelta(minutes=10)
    )

    response = anonymous_client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["worker"].startswith("stale: last seen 6")  # about 600 s
    assert body["beat"] == "never seen"


def test_broker_down_is_a_503_naming_the_broker_without_its_address(
    anonymous_client, monkeypatch
) -> None:
    port = free_port()
    unreachable = f"redis://:hunter2-password@127.0.0.1:{port}/0"
    monkeypatch.setattr(celery_app.conf, "broker_url", unreachable)
    monkeypatch.setattr(celery_app.conf, "broker_write_url", unreachable)

    response = anonymous_client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error: ")
    text = json.dumps(body)
    assert "hunter2" not in text and str(port) not in text and "127.0.0.1" not in text


def test_database_down_is_a_503(anonymous_client, monkeypatch) -> None:
    from integrations.api import health

    def refuse() -> str:
        return "error: OperationalError"

    monkeypatch.setattr(health, "database_check", refuse)

    response = anonymous_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
    assert response.json()["worker"].startswith("unknown")


def test_beat_thread_records_a_heartbeat_until_beat_stops(transactional_db) -> None:
    class Service:
        _is_shutdown = threading.Event()

    thread = start_beat_heartbeat(Service())
    try:
        for _ in range(100):
            if BeatHeartbeat.objects.exists():
                break
            threading.Event().wait(0.05)
        assert BeatHeartbeat.objects.get().last_seen_at > timezone.now() - timedelta(seconds=10)
    finally:
        Service._is_shutdown.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_check_heartbeat_command_exits_1_when_stale() -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="beat: never seen"):
        call_command("check_heartbeat", "beat")
    beat_heartbeat_record()
    call_command("check_heartbeat", "beat")


def test_an_unreadable_heartbeat_is_reported_not_a_500(anonymous_client, monkeypatch) -> None:
    from django.db import ProgrammingError

    from integrations import heartbeats

    def missing_table() -> heartbeats.Freshness:
        raise ProgrammingError('relation "beat_heartbeats" does not exist')

    monkeypatch.setattr(heartbeats, "beat_freshness", missing_table)

    response = anonymous_client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["beat"] == "unknown: ProgrammingError"
