"""``make test-rabbitmq``: the whole suite with RabbitMQ as the Celery broker.

Which RabbitMQ: ``CELERY_BROKER_URL`` when it is already an ``amqp://`` URL (used as it is);
else the machine's node on 127.0.0.1:5672 when it answers and ``rabbitmqctl`` can give the run a
vhost of its own (created for the run, deleted after it, so a run never sees another's queues);
else a throw-away node (``ThrowAwayServices.start_rabbitmq``; Debian's rabbitmq-server is
installed when missing and apt can). Without any, it says why and exits 0 (skipped).

PostgreSQL is ``DATABASE_URL``, or a throw-away one the suite starts (as ``make test`` does).
The receive rate limit counts in ``RATE_LIMIT_REDIS_URL`` when set, else per process; the test
of the count shared between processes is then skipped. Arguments go to pytest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Importing the hub's package sets DJANGO_SETTINGS_MODULE (its Celery app does): pytest would then
# load the settings before the suite's conftest prepares the environment. pytest gets this.
PYTEST_ENV = dict(os.environ)
sys.path.insert(0, str(REPO_ROOT))

from core.testing.servers import (  # noqa: E402
    ThrowAwayServices,
    find_rabbitmq_server,
)

MACHINE_HOST, MACHINE_PORT = "127.0.0.1", 5672


def say(message: str) -> None:
    print(f"test-rabbitmq: {message}", flush=True)


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _rabbitmqctl(*args: str) -> bool:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return False
    try:
        done = subprocess.run([ctl, *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def machine_vhost() -> str | None:
    """A fresh vhost on the machine's node for this run (guest may use it), or None."""
    if not _answers(MACHINE_HOST, MACHINE_PORT):
        return None
    vhost = f"vendhub-test-{os.getpid()}-{int(time.time())}"
    if not _rabbitmqctl("add_vhost", vhost):
        say(f"{MACHINE_HOST}:{MACHINE_PORT} answers but rabbitmqctl cannot add a vhost there")
        return None
    if not _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"):
        _rabbitmqctl("delete_vhost", vhost)
        return None
    return vhost


def ensure_rabbitmq_server() -> bool:
    """Debian's rabbitmq-server, installed when missing and apt can (as root)."""
    if find_rabbitmq_server() is not None:
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's rabbitmq-server for a throw-away node")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "rabbitmq-server"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return find_rabbitmq_server() is not None


def run_pytest(broker_url: str, args: list[str]) -> int:
    env = {**PYTEST_ENV, "CELERY_BROKER_URL": broker_url}
    shown = broker_url.split("@", 1)[-1]  # never the password
    say(f"the suite on RabbitMQ at {shown}")
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *args], cwd=REPO_ROOT, env=env)
    say(f"pytest exited {code} after {time.monotonic() - started:.0f} s")
    return code


def main(args: list[str]) -> int:
    given = os.environ.get("CELERY_BROKER_URL", "")
    if given.startswith(("amqp://", "amqps://", "pyamqp://")):
        return run_pytest(given, args)
    vhost = machine_vhost()
    if vhost is not None:
        try:
            return run_pytest(f"amqp://guest:guest@{MACHINE_HOST}:{MACHINE_PORT}/{vhost}", args)
        finally:
            _rabbitmqctl("delete_vhost", vhost)
    if not ensure_rabbitmq_server():
        say("skipped: no RabbitMQ on 127.0.0.1:5672 and no rabbitmq-server to start one")
        say("(Debian: apt-get install rabbitmq-server)")
        return 0
    services = ThrowAwayServices()
    try:
        say("starting a throw-away RabbitMQ node")
        url = services.start_rabbitmq()
        return run_pytest(url, args)
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
