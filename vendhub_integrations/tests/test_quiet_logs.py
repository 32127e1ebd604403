"""An idle hub stays quiet at the default level (at most 10 lines a minute per process), an
expected refusal is no ERROR, and no command prints kombu's "No hostname was supplied"."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.test import Client

from core.testing.servers import REPO_ROOT
from core.testing.worker import celery_beat, celery_worker
from integrations.tests.factories import IntegrationFactory

IDLE_SECONDS = 35
LINES_A_MINUTE = 10
# Where the default level is asked for explicitly: a developer's LOG_LEVEL=DEBUG must not
# decide this test.
DEFAULT_LEVEL = {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}


def _lines_after(output: str, marker: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    return [line for line in lines[start + 1 :] if line.strip()]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_idle_worker_and_beat_write_at_most_10_lines_a_minute(worker_broker_url: str) -> None:
    # The schedule migrate installs (a transactional test starts from empty tables).
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    with (
        celery_worker(broker_url=worker_broker_url, extra_env=DEFAULT_LEVEL) as worker,
        celery_beat(broker_url=worker_broker_url, extra_env=DEFAULT_LEVEL) as beat,
    ):
        time.sleep(IDLE_SECONDS)  # three or four sweep passes, a heartbeat, a scheduler pass
        worker_lines = _lines_after(worker.output(), " ready.")
        beat_lines = _lines_after(beat.output(), "beat: Starting")

    # Beat sent its sweeps and the worker ran them (else quiet would prove nothing): beat
    # records each run when it stops.
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.get(task="webhooks.sweep").total_run_count >= 3
    allowed = LINES_A_MINUTE * IDLE_SECONDS / 60
    assert len(worker_lines) <= allowed, "\n".join(worker_lines)
    assert len(beat_lines) <= allowed, "\n".join(beat_lines)


@pytest.mark.django_db
def test_an_expected_503_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    IntegrationFactory(code="paused", status="inactive")
    caplog.set_level(logging.INFO)

    response = Client().post(
        "/api/webhooks/receive/paused", data=b'{"id": 1}', content_type="application/json"
    )

    assert response.status_code == 503
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len(caplog.records) <= 3, [r.getMessage() for r in caplog.records]


def test_the_development_servers_access_line_of_a_5xx_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from vendhub_integrations.logs import ExpectedRefusalFilter

    record = logging.LogRecord(
        "django.server", logging.ERROR, __file__, 1, '"%s" %s %s', ("POST / HTTP/1.1", 503, 9), None
    )

    assert ExpectedRefusalFilter().filter(record)
    assert (record.levelno, record.levelname) == (logging.WARNING, "WARNING")


@pytest.mark.parametrize("broker_url", [None, "filesystem://"], ids=["default", "bare"])
def test_the_embedded_broker_does_not_warn_about_a_hostname(tmp_path, broker_url) -> None:
    env = {key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"}
    env.update(DJANGO_DEBUG="1", VENDHUB_VAR_DIR=str(tmp_path), DATABASE_URL="sqlite:///")
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    script = (
        "from vendhub_integrations.celery import app\n"
        "with app.connection_for_write() as connection:\n"
        "    connection.ensure_connection(max_retries=1)\n"
        "    print('connected to', connection.as_uri())\n"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "connected to filesystem://" in output
    assert "No hostname" not in output
