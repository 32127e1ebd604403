"""The beat scheduler every beat process runs: ``CELERY_BEAT_SCHEDULER`` and ``--scheduler``
``vendhub_integrations.beat_scheduler:LeaderScheduler``.

Imported by beat only, after Django is set up (django-celery-beat's models load with it).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler


class LeaderScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler that sends nothing unless this beat leads.

    Every beat process runs one; the lease (``integrations.leadership``) decides which sends.
    A follower only renews its claim every few seconds. On becoming the leader a beat reads the
    schedule again from the database, with the ``last_run_at`` the previous leader saved, so a
    periodic task is not sent again within its interval; the leader saves ``last_run_at`` after
    every task it sends (``sync_every_tasks = 1``) for the same reason. Each send checks the
    lease once more, so a leader that stalled (a cut-off database) sends nothing after its lease
    may have passed to another beat.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from integrations.leadership import Leadership

        self.leadership = Leadership()
        kwargs.setdefault("sync_every_tasks", 1)
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        leadership = self.leadership
        if leadership.due() or not leadership.leading():
            was_leading = leadership.leading()
            if leadership.due():
                leadership.renew()
            if leadership.leading() and not was_leading:
                self._read_schedule_again()
        if not leadership.leading():
            self._dirty.clear()  # what an old leader did not save is the new one's to decide
            return max(0.5, leadership.seconds_to_next_renewal())
        interval = float(super().tick(*args, **kwargs))
        return min(interval, max(0.0, leadership.seconds_to_next_renewal()))

    def _read_schedule_again(self) -> None:
        self._initial_read = True
        self._heap = None
        self.old_schedulers = None

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True, **kwargs: Any):  # type: ignore[no-untyped-def]
        if not self.leadership.leading():
            from celery.beat import SchedulingError

            raise SchedulingError(f"not sent: this beat no longer leads ({entry.name})")
        try:
            return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
        except Exception:
            self._reconnect_broker()
            raise

    def _reconnect_broker(self) -> None:
        """Drop the broker connection a send failed on: the next send opens a new one. Beat
        keeps one producer for its life and the hub sends without publish retries, so after a
        RabbitMQ restart every send failed on the dead connection ("Server unexpectedly closed
        connection") until beat itself was restarted; the sweeper then never ran."""
        producer = self.__dict__.pop("producer", None)
        connection = self.__dict__.pop("connection", None)
        # Dropped without a word to the broker: the connection is dead already.
        if producer is not None:
            with contextlib.suppress(Exception):
                producer.release()
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.collect()

    def close(self) -> None:
        super().close()
        self.leadership.release()
