"""``/healthz`` knows the worker and beat from their first seconds: the worker records a
heartbeat when it is ready (``worker_ready``), beat when it starts (``beat_init``), instead of
"never seen" until the first heartbeat task a minute later."""

from __future__ import annotations

import pytest
from django.test import Client

from core.testing.processes import wait_until
from core.testing.worker import celery_beat, celery_worker
from integrations.heartbeats import record_worker_started
from integrations.models import WorkerHeartbeat


def _checks() -> dict[str, str]:
    body: dict[str, str] = Client().get("/healthz").json()
    return body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_healthz_sees_worker_and_beat_right_after_they_start(worker_broker_url: str) -> None:
    assert _checks()["worker"] == "never seen"
    with (
        celery_worker(broker_url=worker_broker_url) as worker,
        celery_beat(broker_url=worker_broker_url) as beat,
    ):
        # Well before the first heartbeat task (beat sends it once a minute).
        assert wait_until(lambda: _checks()["worker"] == "ok", timeout=10), worker.output()[-2000:]
        assert wait_until(lambda: _checks()["beat"].startswith("ok"), timeout=10), beat.output()[
            -2000:
        ]
        assert WorkerHeartbeat.objects.filter(hostname__startswith="test-").exists()


def test_a_heartbeat_that_cannot_be_written_at_start_does_not_stop_the_worker(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(**kwargs: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr("integrations.heartbeats.worker_heartbeat_record", refuse)

    class Consumer:
        hostname = "celery@starting"

    record_worker_started(Consumer())  # logged, not raised

    assert "could not be written at start" in caplog.text
