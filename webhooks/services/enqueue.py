"""Enqueueing: the wake-up message that asks a worker to process a stored webhook.

The row is the truth; a message that cannot be sent is left to the sweeper.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from webhooks.models import Webhook
from webhooks.services.tunables import BROKER_PAUSE_SECONDS

logger = logging.getLogger(__name__)

_broker_paused_until = 0.0


def webhook_enqueue(
    *,
    webhook_id: Any,
    countdown: float = 0,
    force: bool = False,
    stamped: bool = False,
    background: bool = False,
) -> bool:
    """Send the wake-up message. A broker that is down is logged, never raised: the row is
    stored and the sweeper sends the message once the broker is back.

    ``stamped``: the row already carries ``enqueued_at`` (the receive writes it with the insert,
    saving an UPDATE per webhook); then only a message that could not be sent costs a write,
    clearing the stamp so the sweeper sends it within seconds. A process that dies between the
    commit and the send leaves a stamp without a message: the sweeper sends it again once the
    stamp is ``REQUEUE_AFTER`` old, as for any lost message.

    After a failure this process stops trying for a short while (``force`` tries anyway): every
    try costs up to ``CELERY_BROKER_CONNECTION_TIMEOUT``, and during an outage the senders'
    requests should not each wait for it.

    ``background`` (a stamped row, sent now): handed to this process's batching sender instead
    (see ``BatchSender``) when ``WEBHOOK_ENQUEUE_BATCH`` is above 1; True means handed over.
    """
    if background and stamped and not countdown and _sender.enabled():
        _sender.submit(webhook_id)
        return True
    if not _send([str(webhook_id)], countdown=countdown, force=force, stamped=stamped):
        return False
    if not stamped:
        Webhook.objects.filter(pk=webhook_id).update(
            enqueued_at=timezone.now() + timedelta(seconds=countdown)
        )
    return True


def webhook_enqueue_many(webhook_ids: list[Any], *, force: bool = False) -> int:
    """Wake many pending webhooks at once (the sweeper's backlog after a broker outage or a
    lost worker): one UPDATE stamps them all, and they go ``WEBHOOK_ENQUEUE_BATCH`` ids to a
    message instead of a message and an UPDATE each. Returns how many were sent; once a send
    fails the rest are left unstamped, for the next sweep (the broker pause of
    ``webhook_enqueue`` applies, ``force`` tries anyway)."""
    ids = [str(webhook_id) for webhook_id in webhook_ids]
    if not ids:
        return 0
    Webhook.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    limit = max(1, int(getattr(settings, "WEBHOOK_ENQUEUE_BATCH", 1)))
    for start in range(0, len(ids), limit):
        # A chunk that is not sent is unstamped by _send; the ones after it here.
        if not _send(ids[start : start + limit], force=force, stamped=True):
            _unstamp(ids[start + limit :])
            return start
    return len(ids)


def _send(ids: list[str], *, countdown: float = 0, force: bool = False, stamped: bool) -> bool:
    """One wake-up message for ``ids`` (one id: ``webhooks.process``; more:
    ``webhooks.process_batch``); False when it was not sent, the stamps of ``stamped`` rows then
    cleared for the sweeper. The broker pause of ``webhook_enqueue`` applies."""
    global _broker_paused_until
    # Local: the tasks module imports this one (the service and its Celery task, the one
    # import circle allowed; pyproject.toml's import contracts).
    from webhooks.tasks import process_webhook, process_webhooks

    if not force and time.monotonic() < _broker_paused_until:
        logger.info("%d webhook(s) stored; broker recently down, left to the sweeper", len(ids))
        if stamped:
            _unstamp(ids)
        return False
    try:
        if len(ids) == 1:
            process_webhook.apply_async(
                # celery-types says countdown: float; None (send now) is Celery's default.
                args=(ids[0],),
                countdown=countdown or None,  # type: ignore[arg-type]
            )
        else:
            process_webhooks.apply_async(args=(ids,))
    except Exception as error:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "%d webhook(s) stored but not enqueued (%s: %s); the sweeper will send them",
            len(ids),
            type(error).__name__,
            error,
        )
        if stamped:
            _unstamp(ids)
        return False
    _broker_paused_until = 0.0
    return True


def _unstamp(ids: list[str]) -> None:
    """The message was not sent: the sweeper's "never sent" rule must see the rows."""
    Webhook.objects.filter(pk__in=ids).update(enqueued_at=None)


# A send within this long of the previous one means receives are arriving fast...
_BUSY_SECONDS = 0.1


class BatchSender:
    """One thread per process that sends the wake-up messages of stored webhooks, many ids to a
    message (``webhooks.process_batch``) when they arrive faster than one message can be sent.

    A Celery publish costs about a millisecond of Python; at a burst of receives that was a fifth
    of each request, and a message per few ids still cost the web process a sixth of its CPU.
    The request now only appends the id (its row is committed and stamped ``enqueued_at``) and
    answers; it wakes the thread only when the thread is not already due to send. Under load (a
    message sent moments ago) the thread then waits ``WEBHOOK_ENQUEUE_LINGER_MS`` without being
    woken again, and sends whatever ids are waiting, ``WEBHOOK_ENQUEUE_BATCH`` to a message; a
    lone delivery after a quiet spell is sent at once. Ids not sent when the process dies are the
    stamped rows the sweeper sends again after ``REQUEUE_AFTER``; a send that fails clears their
    stamps, as a failed single send does. At exit what is waiting is sent first.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A sender with nothing waiting and no thread yet (also what a forked child gets)."""
        self._waiting: deque[str] = deque()
        self._wake = threading.Condition()
        # Set by a submit that woke the thread, cleared by the thread as it takes the ids.
        self._due = False
        self._busy = False
        self._thread: threading.Thread | None = None

    @staticmethod
    def enabled() -> bool:
        return int(getattr(settings, "WEBHOOK_ENQUEUE_BATCH", 1)) > 1 and not getattr(
            settings, "CELERY_TASK_ALWAYS_EAGER", False
        )

    def submit(self, webhook_id: Any) -> None:
        # Appended before ``_due`` is read: a thread that clears ``_due`` afterwards takes it.
        self._waiting.append(str(webhook_id))
        if self._due and self._thread is not None:
            return
        with self._wake:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="webhook-sender", daemon=True
                )
                self._thread.start()
            self._due = True
            self._wake.notify()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted id is sent (or given to the sweeper); True when done."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._waiting or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.05))
        return True

    def _run(self) -> None:
        limit = max(1, int(settings.WEBHOOK_ENQUEUE_BATCH))
        linger = max(0, int(getattr(settings, "WEBHOOK_ENQUEUE_LINGER_MS", 50))) / 1000
        last_sent = 0.0
        while True:
            with self._wake:
                while not self._due and not self._waiting:
                    self._wake.wait()
                self._busy = True
            # Under load, let the ids of the next moment gather: one message carries them all.
            if time.monotonic() - last_sent < _BUSY_SECONDS and linger:
                time.sleep(linger)
            with self._wake:
                self._due = False
            last_sent = time.monotonic()
            while self._waiting:
                batch = [self._waiting.popleft() for _ in range(min(limit, len(self._waiting)))]
                try:
                    _send_batch(batch)
                except Exception:  # never let the thread die: the sweeper has the rows anyway
                    logger.exception("sending %d webhook messages failed", len(batch))
            with self._wake:
                self._busy = False
                self._wake.notify_all()


def _send_batch(ids: list[str]) -> None:
    """The sender thread's step: one message for ``ids``. The thread's own database connection
    (opened only to clear stamps during an outage) is not kept open."""
    from django.db import connection

    try:
        _send(ids, stamped=True)
    finally:
        connection.close()


_sender = BatchSender()
atexit.register(_sender.flush, 5.0)
# A child forked while the parent's sender held its lock must not inherit the held lock, nor
# the parent's waiting ids (the parent sends those): it starts a sender of its own.
os.register_at_fork(after_in_child=_sender.reset)


def webhook_enqueue_flush(timeout: float = 10.0) -> bool:
    """Wait until this process's batching sender has sent what it was given (tests, shutdown)."""
    return _sender.flush(timeout)
