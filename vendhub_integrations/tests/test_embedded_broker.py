"""`make run`'s configuration: SQLite and the embedded (filesystem) broker, no server at all.

A task sent by one process (as the web process sends it) is run by a worker in another process.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from core.testing.processes import wait_until
from core.testing.servers import REPO_ROOT
from core.testing.worker import celery_worker

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


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> str:
    """A SQLite database ``migrate`` built once for the module; each test works on a copy."""
    folder = tmp_path_factory.mktemp("embedded")
    _manage(_embedded_env(folder), "migrate", "--noinput", "-v", "0")
    return str(folder / "hub.sqlite3")


def _fresh_database(migrated_database: str, tmp_path) -> str:
    database = str(tmp_path / "hub.sqlite3")
    shutil.copyfile(migrated_database, database)
    return database


def _heartbeats(database: str) -> list[tuple[str, int]]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT hostname, tasks_seen FROM worker_heartbeats").fetchall()


def test_a_task_sent_by_one_process_runs_in_the_worker_process(migrated_database, tmp_path) -> None:
    env = _embedded_env(tmp_path)
    database = _fresh_database(migrated_database, tmp_path)

    with celery_worker(extra_env=env) as worker:
        assert "filesystem://" in worker.output()
        _manage(
            env,
            "shell",
            "-c",
            "from integrations.tasks import worker_heartbeat; "
            "worker_heartbeat.delay(hostname='sent-by-web')",
        )
        arrived = wait_until(lambda: ("sent-by-web", 1) in _heartbeats(database), timeout=30)
        assert arrived, worker.output()[-3000:]
        worker.kill()  # a warm shutdown polls the filesystem broker for ~5 s; nothing to keep


def test_a_task_sent_while_no_worker_runs_waits_in_the_broker(migrated_database, tmp_path) -> None:
    env = _embedded_env(tmp_path)
    database = _fresh_database(migrated_database, tmp_path)
    _manage(
        env,
        "shell",
        "-c",
        "from integrations.tasks import worker_heartbeat; "
        "worker_heartbeat.delay(hostname='queued')",
    )
    assert _heartbeats(database) == []

    with celery_worker(extra_env=env) as worker:
        arrived = wait_until(lambda: ("queued", 1) in _heartbeats(database), timeout=30)
        assert arrived, worker.output()[-3000:]
        worker.kill()  # a warm shutdown polls the filesystem broker for ~5 s; nothing to keep
