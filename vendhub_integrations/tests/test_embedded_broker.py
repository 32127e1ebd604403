"""`make run`'s configuration: SQLite and the embedded (filesystem) broker, no server at all.

A task sent by one process (as the web process sends it) is run by a worker in another process.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from vendhub_integrations.testing.services import REPO_ROOT
from vendhub_integrations.testing.worker import celery_worker, wait_until

pytestmark = pytest.mark.worker


def _embedded_env(tmp_path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "VENDHUB_VAR_DIR": str(tmp_path / "var"),
    }


def _manage(env_changes: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_changes}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def _heartbeats(database: str) -> list[tuple[str, int]]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT hostname, tasks_seen FROM worker_heartbeats").fetchall()


def test_a_task_sent_by_one_process_runs_in_the_worker_process(tmp_path) -> None:
    env = _embedded_env(tmp_path)
    database = str(tmp_path / "hub.sqlite3")
    _manage(env, "migrate", "--noinput", "-v", "0")

    with celery_worker(extra_env=env) as worker:
        assert "filesystem://" in worker.output()
        _manage(
            env,
            "shell",
            "-c",
            "from integrations.tasks import worker_heartbeat; "
            "worker_heartbeat.delay(hostname='sent-by-web')",
        )
        arrived = wait_until(lambda: _heartbeats(database) == [("sent-by-web", 1)], timeout=30)
        assert arrived, worker.output()[-3000:]


def test_a_task_sent_while_no_worker_runs_waits_in_the_broker(tmp_path) -> None:
    env = _embedded_env(tmp_path)
    database = str(tmp_path / "hub.sqlite3")
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(
        env,
        "shell",
        "-c",
        "from integrations.tasks import worker_heartbeat; "
        "worker_heartbeat.delay(hostname='queued')",
    )
    assert _heartbeats(database) == []

    with celery_worker(extra_env=env) as worker:
        arrived = wait_until(lambda: _heartbeats(database) == [("queued", 1)], timeout=30)
        assert arrived, worker.output()[-3000:]
