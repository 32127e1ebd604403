"""A real Celery worker process for wiring tests.

The worker is a separate process, as in production: it connects to the broker the test names and
to the test database (so tests that use it need ``transactional_db``: the worker only sees what
the test committed). Its output goes to a log file that ``WorkerProcess.output()`` returns, which
is how a test can show what the worker did when an assertion fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from core.testing.servers import REPO_ROOT


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


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole worker (main process and pool children) as a crash would."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        self.process.wait(timeout=30)

    def child_pids(self) -> list[int]:
        result = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return [int(pid) for pid in result.stdout.split()]


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; return the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


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
) -> Iterator[WorkerProcess]:
    """Start ``celery -A vendhub_integrations [celery_options] <arguments>`` on the test
    database, wait for ``ready_marker`` in its output, and stop its process group when the block
    ends (SIGTERM, then SIGKILL). Its output is kept in a file while it runs."""
    env = os.environ.copy()
    env["DATABASE_URL"] = test_database_url()
    if broker_url is not None:
        env["CELERY_BROKER_URL"] = broker_url
    env.update(extra_env or {})
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in the finally below)
        prefix=f"celery-{kind}-", suffix=".log", delete=False
    )
    log_path = Path(log_file.name)
    command = [
        sys.executable, "-m", "celery", "-A", "vendhub_integrations", *(celery_options or []),
        *arguments,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = WorkerProcess(process=process, log_path=log_path)
    try:
        ready = wait_until(
            lambda: ready_marker in started.output() or process.poll() is not None,
            timeout=ready_timeout,
        )
        if not ready or process.poll() is not None:
            raise RuntimeError(f"celery {kind} did not start:\n{started.output()[-4000:]}")
        yield started
    finally:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            except ProcessLookupError:
                pass
        log_file.close()
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
) -> Iterator[WorkerProcess]:
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
) -> Iterator[WorkerProcess]:
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
