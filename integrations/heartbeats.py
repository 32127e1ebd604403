"""Heartbeats of the worker and of beat, and how fresh they are.

The worker's is written when it starts (``worker_ready``, so ``/healthz`` knows it from its first
second) and then by the ``integrations.worker_heartbeat`` task (beat sends it every minute, so it
proves the queue carries work). Beat's is written by beat itself: on ``beat_init`` a daemon
thread in the beat process records a tick at once and then every ``BEAT_HEARTBEAT_SECONDS``
while the scheduler service runs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

BEAT_HEARTBEAT_SECONDS = 30
# The worker heartbeat task runs every minute, beat's every 30 s: three missed beats is stale.
WORKER_STALE_AFTER = timedelta(minutes=3)
BEAT_STALE_AFTER = timedelta(minutes=2)
BEAT_NAME = "beat"


@dataclass(frozen=True)
class Freshness:
    last_seen_at: datetime | None
    stale_after: timedelta

    @property
    def ok(self) -> bool:
        return (
            self.last_seen_at is not None and timezone.now() - self.last_seen_at < self.stale_after
        )

    def describe(self) -> str:
        """``ok``, or what is wrong, with no host name in it."""
        if self.last_seen_at is None:
            return "never seen"
        if self.ok:
            return "ok"
        age = int((timezone.now() - self.last_seen_at).total_seconds())
        return f"stale: last seen {age} s ago"


def worker_freshness() -> Freshness:
    from integrations.models import WorkerHeartbeat

    latest = WorkerHeartbeat.objects.order_by("-last_seen_at").values_list(
        "last_seen_at", flat=True
    )
    return Freshness(latest.first(), WORKER_STALE_AFTER)


def beat_freshness() -> Freshness:
    from integrations.models import BeatHeartbeat

    latest = BeatHeartbeat.objects.order_by("-last_seen_at").values_list("last_seen_at", flat=True)
    return Freshness(latest.first(), BEAT_STALE_AFTER)


def worker_heartbeat_record(*, hostname: str) -> None:
    """Record that the worker ``hostname`` is alive (and counts one more task seen)."""
    from django.db.models import F

    from integrations.models import WorkerHeartbeat

    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(
        last_seen_at=now, tasks_seen=F("tasks_seen") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            hostname=hostname, defaults={"last_seen_at": now, "tasks_seen": 1}
        )


def record_worker_started(sender: Any = None, **kwargs: Any) -> None:
    """The ``worker_ready`` receiver: the first heartbeat as the worker starts taking tasks,
    rather than a minute later with the first heartbeat task."""
    hostname = getattr(sender, "hostname", None)
    if not hostname:
        return
    try:
        worker_heartbeat_record(hostname=hostname)
    except Exception:  # the heartbeat task writes it again within a minute
        logger.warning("worker heartbeat could not be written at start", exc_info=True)
    finally:
        # The worker's main process runs no task: its connection is not kept open.
        connections.close_all()


def beat_heartbeat_record(*, name: str = BEAT_NAME) -> None:
    from integrations.models import BeatHeartbeat

    BeatHeartbeat.objects.update_or_create(name=name, defaults={"last_seen_at": timezone.now()})


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
