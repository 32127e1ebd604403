"""Watching the hub's own processes: ``worker.down`` and ``beat.down`` from the heartbeats, each
watched from the other process, which also sends the due alerts (and runs the worker's periodic
checks) while the other one is down."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.alerts.services.recording import condition_record
from integrations.alerts.services.sending import alerts_send_due
from integrations.heartbeats import beat_freshness, worker_freshness
from integrations.models import AlertEvent

logger = logging.getLogger(__name__)

# CONTRACT: worker.down and beat.down when the heartbeat is older than this; backlog when
# webhooks wait in pending longer than BACKLOG_AFTER.
HEARTBEAT_DOWN_AFTER = timedelta(minutes=2)
BACKLOG_AFTER = timedelta(minutes=5)


def _heartbeat_down(last_seen_at: datetime | None) -> bool:
    # A hub that never saw one (a fresh install still starting) is not "down".
    return last_seen_at is not None and timezone.now() - last_seen_at > HEARTBEAT_DOWN_AFTER


def alerts_check_heartbeats(*, worker: bool = True, beat: bool = True) -> dict[str, bool]:
    """Look at the worker's and beat's heartbeats; alert ``worker.down``/``beat.down`` when one
    turns older than two minutes. Returns which ones are down."""
    down: dict[str, bool] = {}
    for name, wanted, freshness, event in (
        ("worker", worker, worker_freshness, AlertEvent.WORKER_DOWN),
        ("beat", beat, beat_freshness, AlertEvent.BEAT_DOWN),
    ):
        if not wanted:
            continue
        last_seen_at = freshness().last_seen_at
        is_down = _heartbeat_down(last_seen_at)
        age = int((timezone.now() - last_seen_at).total_seconds()) if last_seen_at else None
        condition_record(
            key=event.value,
            active=is_down,
            event=event.value,
            detail=f"last heartbeat {age} s ago" if age is not None else "",
        )
        down[name] = is_down
    return down


def alerts_watch(*, watch: str) -> None:
    """The tick of a watching thread: beat watches the worker (``watch="worker"``) and the
    worker watches beat. While the other one is down, the alerts are sent from here: the
    worker cannot send them, or beat no longer sweeps."""
    down = alerts_check_heartbeats(worker=watch == "worker", beat=watch == "beat")
    if down.get(watch):
        if watch == "worker":
            _checks_while_worker_down()
        alerts_send_due()


# Periodic alert checks that beat sends to the worker as tasks: while the worker is down they
# would never run, so beat's watching thread runs them itself. A stopped worker is the usual
# cause of a backlog, which must still be told (CONTRACT: webhooks pending for more than 5
# minutes). Dotted paths: the apps that own the checks sit above this one.
WORKER_DOWN_CHECKS = ("webhooks.services.backlog.webhook_backlog_check",)


def _checks_while_worker_down() -> None:
    for path in WORKER_DOWN_CHECKS:
        try:
            import_string(path)()
        except Exception:  # one check that fails stops neither the others nor the sending
            logger.warning("alert check %s failed", path, exc_info=True)
