"""Keeping a processing claim alive while a worker is still working on the webhook.

A claim is a lease (``locked_until``): if the worker dies, the lease runs out and the sweeper hands
the webhook to another worker. A live worker whose handlers or forward take longer than the lease
must not lose the webhook to a second worker while it still runs, so a thread renews the lease
every third of its length for as long as the work goes on — but not past ``max_seconds`` (the
task's hard time limit, after which Celery kills the process anyway): a worker that hangs for ever
stops renewing, its lease runs out and the webhook is taken back, so nothing stays
``processing`` for ever.

The lease end doubles as the claim's token: every renewal and the final write are conditional on
the token this worker last wrote, so a worker that lost its claim can never overwrite the work of
the next one.
"""

from __future__ import annotations

import contextlib
import logging
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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_until_stopped, daemon=True)

    @property
    def token(self) -> datetime:
        """The lease end this worker last wrote: the condition of its final write."""
        with self._lock:
            return self._token

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Stop (and wait for) the renewer before the final write reads the token, so the two
        # never race.
        self._stop.set()
        self._thread.join()

    def _renew_until_stopped(self) -> None:
        started = time.monotonic()
        interval = max(0.05, self.lease_seconds / 3)
        try:
            while not self._stop.wait(interval):
                if time.monotonic() - started + self.lease_seconds > self.max_seconds:
                    logger.warning(
                        "webhook %s still processing after %.0fs; no longer renewing its lease",
                        self.webhook_id,
                        time.monotonic() - started,
                    )
                    return
                if not self._renew():
                    return
        finally:
            connection.close()  # this thread's own connection

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
