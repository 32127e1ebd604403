"""``make run``: migrate, print the local admin and API key, then run web, worker and beat.

All three run in the foreground with their output prefixed; Ctrl-C (or any one of them dying)
stops the others. Defaults need no server: SQLite in ``var/`` and kombu's filesystem broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = os.environ.get("VENDHUB_RUN_HOST", "127.0.0.1")
PORT = os.environ.get("VENDHUB_RUN_PORT", "8000")

PROCESSES = {
    "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
    "worker": [
        PYTHON, "-m", "celery", "-A", "vendhub_integrations", "worker",
        "--loglevel", "INFO", "--concurrency", "2", "--without-gossip", "--without-mingle",
    ],
    "beat": [
        PYTHON, "-m", "celery", "-A", "vendhub_integrations", "beat", "--loglevel", "INFO",
        "--scheduler", "vendhub_integrations.beat_scheduler:LeaderScheduler",
    ],
}  # fmt: skip


def _pump(name: str, stream: object) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        sys.stdout.write(f"{name:>6} | {line}")
        sys.stdout.flush()


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # So that `.venv/bin/python manage.py …` in another shell runs with these settings too.
    sys.path.insert(0, str(ROOT))
    from vendhub_integrations.startup import var_dir_from_environment, write_development_settings

    write_development_settings(var_dir_from_environment(ROOT))
    _manage("migrate", "--noinput", "-v", "0")
    _manage("ensure_dev_access")
    print(
        f"Dashboard: http://{HOST}:{PORT}/admin/   Swagger UI: http://{HOST}:{PORT}/api/docs/   "
        f"Health: http://{HOST}:{PORT}/healthz"
    )
    print("Starting web, worker and beat; Ctrl-C stops all three.", flush=True)

    children: dict[str, subprocess.Popen] = {}
    for name, command in PROCESSES.items():
        child = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        children[name] = child
        threading.Thread(target=_pump, args=(name, child.stdout), daemon=True).start()

    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    exit_code = 0
    while not stopping.is_set():
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with status {child.returncode}; stopping the others.")
                exit_code = child.returncode or 1
                stopping.set()
                break
        time.sleep(0.3)

    # SIGTERM to each main process only: Celery then shuts its own pool down (a warm shutdown that
    # finishes running tasks); the whole group is killed only if that takes too long.
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
    print("Stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
