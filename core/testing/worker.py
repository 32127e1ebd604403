"""A real Celery worker and beat for wiring tests.

The worker is a separate process, as in production: it connects to the broker the test names and
to the test database (so tests that use it need ``transactional_db``: the worker only sees what
the test committed). Its output goes to a log file that ``ChildProcess.output()`` returns, which
is how a test can show what the worker did when an assertion fails (``KEEP_WORKER_LOGS=1`` keeps
the file).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from core.testing.processes import ChildProcess, celery_command, running


def test_database_url() -> str:
    """A django-environ URL of the database the running test uses (the test database)."""
    settings = connection.settings_dict
    engine = settings["ENGINE"]
    if "sqlite" in engine:
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = settings.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{settings['NAME']}"


@contextmanager
def _celery_process(
    *,
    kind: str,
    arguments: list[str],
    ready_marker: str,
    broker_url: str | None,
    extra_env: dict[str, str] | None,
    celery_options: list[str] | None,
    ready_timeout: float,
) -> Iterator[ChildProcess]:
    """Start ``celery -A vendhub_integrations [celery_options] <arguments>`` on the test
    database, wait for ``ready_marker`` in its output, and stop its process group when the block
    ends (SIGTERM, then SIGKILL). Its output is kept in a file while it runs."""
    env = os.environ.copy()
    env["DATABASE_URL"] = test_database_url()
    if broker_url is not None:
        env["CELERY_BROKER_URL"] = broker_url
    env.update(extra_env or {})
    handle, log_name = tempfile.mkstemp(prefix=f"celery-{kind}-", suffix=".log")
    os.close(handle)
    log_path = Path(log_name)
    process = ChildProcess(
        f"celery {kind}",
        celery_command(*arguments, options=tuple(celery_options or ())),
        env=env,
        log_path=log_path,
    )
    try:
        with running(process):
            process.wait_for_output(ready_marker, timeout=ready_timeout)
            yield process
    finally:
        if os.environ.get("KEEP_WORKER_LOGS") != "1":
            log_path.unlink(missing_ok=True)


@contextmanager
def celery_worker(
    *,
    broker_url: str | None = None,
    concurrency: int = 1,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    celery_options: list[str] | None = None,
    ready_timeout: float = 60,
) -> Iterator[ChildProcess]:
    """Start ``celery -A vendhub_integrations [celery_options] worker`` and stop it when the
    block ends."""
    arguments = [
        "worker", "--loglevel", "INFO", "--concurrency", str(concurrency), "--pool", "prefork",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        *(extra_args or []),
    ]  # fmt: skip
    with _celery_process(
        kind="worker",
        arguments=arguments,
        ready_marker=" ready.",
        broker_url=broker_url,
        extra_env=extra_env,
        celery_options=celery_options,
        ready_timeout=ready_timeout,
    ) as worker:
        yield worker


@contextmanager
def celery_beat(
    *,
    broker_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    celery_options: list[str] | None = None,
    ready_timeout: float = 60,
) -> Iterator[ChildProcess]:
    """Start ``celery -A vendhub_integrations beat`` (the leading DatabaseScheduler, on the test
    database) and stop it when the block ends; ready once it wrote its first heartbeat line."""
    schedule_dir = tempfile.mkdtemp(prefix="celery-beat-")
    arguments = [
        "beat", "--loglevel", "INFO",
        "--scheduler", "vendhub_integrations.beat_scheduler:LeaderScheduler",
        "--schedule", str(Path(schedule_dir) / "schedule"),
    ]  # fmt: skip
    try:
        with _celery_process(
            kind="beat",
            arguments=arguments,
            ready_marker="beat: Starting",
            broker_url=broker_url,
            extra_env=extra_env,
            celery_options=celery_options,
            ready_timeout=ready_timeout,
        ) as beat:
            yield beat
    finally:
        shutil.rmtree(schedule_dir, ignore_errors=True)
