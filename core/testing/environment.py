"""Prepares the environment for the test suite; the root ``conftest.py`` calls it on import.

It runs before Django reads the settings (pytest.ini names no settings module, so pytest-django
waits for the one set here): it gives the run fresh encryption keys and its own
``var/`` folder, and starts throw-away PostgreSQL and Redis when ``DATABASE_URL`` and
``CELERY_BROKER_URL`` are not set (see ``core.testing.servers``).
"""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import tempfile

from core.testing.servers import ThrowAwayServices

_services: ThrowAwayServices | None = None


def prepare_environment(*, postgres_port: int | None = None, redis_port: int | None = None) -> None:
    """``postgres_port`` / ``redis_port``: where throw-away servers listen (default: any free)."""
    global _services
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendhub_integrations.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault(
        "FIELD_ENCRYPTION_KEYS",
        ",".join(base64.b64encode(os.urandom(32)).decode() for _ in range(2)),
    )
    if not os.environ.get("VENDHUB_VAR_DIR"):
        var_dir = tempfile.mkdtemp(prefix="vendhub-var-")
        os.environ["VENDHUB_VAR_DIR"] = var_dir
        atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    missing_db = not os.environ.get("DATABASE_URL")
    missing_broker = not os.environ.get("CELERY_BROKER_URL")
    if missing_db or missing_broker:
        _services = ThrowAwayServices()
        atexit.register(stop_services)
        if missing_db:
            _services.start_postgres(port=postgres_port)
        if missing_broker:
            _services.start_redis(port=redis_port)
        os.environ.update(_services.urls)


def stop_services() -> None:
    global _services
    if _services is not None:
        _services.stop()
        _services = None
