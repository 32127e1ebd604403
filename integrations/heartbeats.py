"""Heartbeats of the worker and of beat, and how fresh they are.

The worker's is written when it starts (``worker_ready``, so ``/healthz`` knows it from its first
second) and then by the ``integrations.worker_heartbeat`` task (beat sends it every minute, so it
proves the queue carries work). Beat's is written by beat itself, from the thread
``integrations.watchers`` starts on ``beat_init``, every ``BEAT_HEARTBEAT_SECONDS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connections
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
