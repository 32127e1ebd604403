"""A running sync job's sign of life, kept up by a thread while the worker runs it.

The engine also writes ``metadata.heartbeat_at`` after every page, but one page may take as long
as the integration's timeout (and its retries): this thread touches the row's ``updated_at``
every ``RUNNING_HEARTBEAT_SECONDS`` regardless, so the sweeper can tell a slow page from a dead
worker within ``RUNNING_STALE_AFTER``. A worker that is killed takes the thread with it; that
silence is the signal.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from syncjobs.models import SyncJob, SyncJobStatus
from syncjobs.services import RUNNING_HEARTBEAT_SECONDS

logger = logging.getLogger(__name__)


class JobHeartbeat:
    """``with JobHeartbeat(job_id):`` … the job runs … (the thread stops when the block ends)."""

    def __init__(self, job_id: Any, *, every_seconds: float = RUNNING_HEARTBEAT_SECONDS) -> None:
        self.job_id = job_id
        self.every_seconds = every_seconds
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat_until_stopped, daemon=True)

    def __enter__(self) -> JobHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat_until_stopped(self) -> None:
        try:
            while not self._stop.wait(self.every_seconds):
                try:
                    close_old_connections()
                    alive = SyncJob.objects.filter(
                        pk=self.job_id, status=SyncJobStatus.RUNNING
                    ).update(updated_at=timezone.now())
                except DatabaseError as error:  # the database restarting: try again next beat
                    logger.warning("sync job %s: heartbeat not written: %s", self.job_id, error)
                    with contextlib.suppress(DatabaseError):
                        connection.close()
                    continue
                if not alive:
                    return  # ended, cancelled or failed: nothing left to keep alive
                self.beats += 1
        finally:
            connection.close()  # this thread's own connection
