"""Keeping a processing claim alive while a worker is still working on the webhook.

A claim is a lease (``locked_until``): if the worker dies, the lease runs out and the sweeper hands
the webhook to another worker. A live worker whose handlers or forward take longer than the lease
must not lose the webhook to a second worker while it still runs, so the lease is renewed
every third of its length for as long as the work goes on — but not past ``max_seconds`` (the
task's hard time limit, after which Celery kills the process anyway): a worker that hangs for ever
stops renewing, its lease runs out and the webhook is taken back, so nothing stays
``processing`` for ever.

The lease end doubles as the claim's token: every renewal and the final write are conditional on
the token this worker last wrote, so a worker that lost its claim can never overwrite the work of
the next one.

One renewal thread per process serves every keeper (started with the first; a worker processes
thousands of webhooks that each take milliseconds, and a thread of its own per webhook was a
visible share of each one's cost). A keeper costs nothing until its first renewal falls due.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from webhooks.models import Webhook, WebhookStatus

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """``with LeaseKeeper(webhook_id, token, lease_seconds=…) as keeper:`` … ``keeper.token``."""

    def __init__(
        self, webhook_id: Any, token: datetime, *, lease_seconds: float, max_seconds: float
    ) -> None:
        self.webhook_id = webhook_id
        self._token = token
        self.lease_seconds = lease_seconds
        self.max_seconds = max_seconds
        self.renewals = 0
        self._lock = threading.Lock()
        self._stopped = False
        self._interval = max(0.05, lease_seconds / 3)
        self._started = time.monotonic()
        self.due = self._started + self._interval

    @property
    def token(self) -> datetime:
        """The lease end this worker last wrote: the condition of its final write."""
        with self._lock:
            return self._token

    def __enter__(self) -> LeaseKeeper:
        self._started = time.monotonic()
        self.due = self._started + self._interval
        _renewer.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        # Under the lock: a renewal in flight finishes first, and none starts after this.
        with self._lock:
            self._stopped = True
        _renewer.remove(self)

    def tick(self) -> bool:
        """Called by the renewal thread when due: renew; False when this keeper is done."""
        if time.monotonic() - self._started + self.lease_seconds > self.max_seconds:
            logger.warning(
                "webhook %s still processing after %.0fs; no longer renewing its lease",
                self.webhook_id,
                time.monotonic() - self._started,
            )
            return False
        if not self._renew():
            return False
        self.due = time.monotonic() + self._interval
        return True

    def _renew(self) -> bool:
        """Extend the lease; False once the claim is lost. A database that does not answer
        (restarting, failing over) is tried again at the next interval rather than giving up:
        the lease still runs out by itself if the outage outlasts it."""
        try:
            return self._renew_once()
        except DatabaseError as error:
            logger.warning(
                "webhook %s: lease not renewed, will try again: %s", self.webhook_id, error
            )
            close_old_connections()
            with contextlib.suppress(DatabaseError):
                connection.close()
            return True

    def _renew_once(self) -> bool:
        close_old_connections()
        with self._lock:
            if self._stopped:
                return False
            new_token = timezone.now() + timedelta(seconds=self.lease_seconds)
            renewed = Webhook.objects.filter(
                pk=self.webhook_id, status=WebhookStatus.PROCESSING, locked_until=self._token
            ).update(locked_until=new_token)
            if renewed:
                self._token = new_token
                self.renewals += 1
            else:
                logger.warning("webhook %s: the processing claim was lost", self.webhook_id)
            return bool(renewed)


class _Renewer:
    """The process's renewal thread: sleeps until the earliest keeper is due, renews it."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._keepers: dict[int, LeaseKeeper] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0
        # When the sleeping thread looks next (0 while it is awake: it looks before sleeping).
        self._wakes_at = 0.0

    def add(self, keeper: LeaseKeeper) -> None:
        with self._condition:
            alive = self._thread is not None and self._thread.is_alive()
            if not alive or self._pid != os.getpid():  # none yet, or this is a forked child
                self._keepers = {}
                self._pid = os.getpid()
                self._wakes_at = 0.0
                self._thread = threading.Thread(
                    target=self._run, name="webhook-lease-renewer", daemon=True
                )
                self._thread.start()
            self._keepers[id(keeper)] = keeper
            # Woken only when it would sleep past this keeper's first renewal: a thread switch
            # per webhook was a visible share of a quick one's cost.
            if keeper.due < self._wakes_at:
                self._condition.notify()

    def remove(self, keeper: LeaseKeeper) -> None:
        with self._condition:
            self._keepers.pop(id(keeper), None)

    def _run(self) -> None:
        try:
            while True:
                with self._condition:
                    now = time.monotonic()
                    due = [keeper for keeper in self._keepers.values() if keeper.due <= now]
                    if not due:
                        earliest = min((k.due for k in self._keepers.values()), default=now + 60)
                        timeout = max(0.01, earliest - now)
                        self._wakes_at = now + timeout
                        self._condition.wait(timeout=timeout)
                        self._wakes_at = 0.0
                        continue
                for keeper in due:
                    try:
                        keep = keeper.tick()
                    except Exception:  # a database error: this keeper stops, the others go on
                        logger.exception("webhook %s: renewing the lease failed", keeper.webhook_id)
                        keep = False
                    if not keep:
                        self.remove(keeper)
                # Renewals are minutes apart: no connection of this thread stays open between.
                connection.close()
        finally:
            connection.close()


_renewer = _Renewer()
