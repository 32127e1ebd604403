"""``GET /api/health`` tells operators whether the database, the broker and a worker are alive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app as celery_app
from django.utils import timezone

from core.testing.servers import free_port
from integrations.models import WorkerHeartbeat
from integrations.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_without_a_key_and_reports_the_last_worker(anonymous_client) -> None:
    worker_heartbeat(hostname="celery@box")

    body = anonymous_client.get("/api/health").json()

    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker"] == "ok"
    assert body["worker_last_seen_at"] is not None


def test_a_silent_worker_shows_as_stale(anonymous_client) -> None:
    WorkerHeartbeat.objects.create(
        hostname="celery@old", last_seen_at=timezone.now() - timedelta(minutes=10)
    )

    assert anonymous_client.get("/api/health").json()["worker"] == "stale"


def test_broker_down_is_a_503(anonymous_client, monkeypatch) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setattr(celery_app.conf, "broker_url", unreachable)
    monkeypatch.setattr(celery_app.conf, "broker_write_url", unreachable)

    response = anonymous_client.get("/api/health")

    assert response.status_code == 503
    assert response.json()["broker"] == "error"
    assert response.json()["database"] == "ok"


def test_heartbeat_counts_tasks_per_worker() -> None:
    worker_heartbeat(hostname="celery@a")
    worker_heartbeat(hostname="celery@a")
    worker_heartbeat(hostname="celery@b")

    counts = dict(WorkerHeartbeat.objects.values_list("hostname", "tasks_seen"))
    assert counts == {"celery@a": 2, "celery@b": 1}
