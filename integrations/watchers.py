"""The threads beat and the worker's main process run beside their work, started from Celery's
signals (``vendhub_integrations.celery``): beat records its heartbeat at once and then every
``BEAT_HEARTBEAT_SECONDS``, and each process watches the other's heartbeat, alerting
``worker.down``/``beat.down`` and sending due alerts itself while the other is down.

Imported by the Celery app before Django's apps are ready, so the alerts come in locally.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import close_old_connections, connections

from integrations.heartbeats import BEAT_HEARTBEAT_SECONDS, beat_heartbeat_record

logger = logging.getLogger(__name__)


def start_beat_heartbeat(sender: Any = None, **kwargs: Any) -> threading.Thread:
    """The ``beat_init`` receiver: tick from a daemon thread until the beat service stops."""
    stopped = getattr(sender, "_is_shutdown", None) or threading.Event()

    def loop() -> None:
        try:
            while not stopped.is_set():
                try:
                    close_old_connections()
                    beat_heartbeat_record()
                except Exception:  # the next tick tries again; beat itself goes on
                    logger.warning("beat heartbeat could not be written", exc_info=True)
                _watch("worker")
                stopped.wait(BEAT_HEARTBEAT_SECONDS)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=loop, name="beat-heartbeat", daemon=True)
    thread.start()
    return thread


def _watch(other: str) -> None:
    """One look at the other process's heartbeat (alerts ``worker.down``/``beat.down``)."""
    from integrations.alerts.services import alerts_watch

    try:
        alerts_watch(watch=other)
    except Exception:  # the next tick looks again
        logger.warning("the %s heartbeat could not be checked", other, exc_info=True)


def start_worker_watch(sender: Any = None, **kwargs: Any) -> threading.Thread:
    """The ``worker_ready`` receiver: a daemon thread in the worker's main process that looks at
    beat's heartbeat every ``BEAT_HEARTBEAT_SECONDS`` (``beat.down``), and sends due alerts
    itself while beat is down (beat's sweep no longer does)."""
    stopped = threading.Event()

    def loop() -> None:
        try:
            while not stopped.wait(BEAT_HEARTBEAT_SECONDS):
                close_old_connections()
                _watch("beat")
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, name="beat-watch", daemon=True)
    thread.start()
    return thread
