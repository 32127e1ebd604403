"""Which beat process leads: a lease row in the database, renewed every few seconds.

Any number of beat processes may run (one per host, say); only the one holding the lease sends
periodic tasks. The leader renews the lease every ``BEAT_LEADER_RENEW_SECONDS``; a follower
takes it over once it has expired (``BEAT_LEADER_LEASE_SECONDS`` after the last renewal), so a
killed leader, or one that lost its database, is replaced within lease + renew interval.

Why a lease row and not an advisory lock on a dedicated connection: a session lock is released
when PostgreSQL notices the session is gone. A killed process is noticed at once, but a host cut
off from the network is not: its backend holds the lock until the server's TCP keepalive gives
up (two hours by Linux's defaults), which would break the 60 s promise unless every server is
tuned; advisory locks also do not survive a pooler in transaction mode (PgBouncer). A lease is
plain data: it expires by the database's clock whatever happened to the holder, and it works
the same on SQLite (``make run``, where the one beat simply leads).

Fencing: the leader measures its lease from the moment it *sent* the renewal, on its own
monotonic clock, and stops sending a little before that lease can have expired in the database,
so an old leader that lost its connection has stopped before a new one can start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q
from django.db.models.functions import Now

logger = logging.getLogger(__name__)

LEASE_NAME = "beat"
# Stop leading this long before the lease can have expired in the database (clock rates, the
# time a send takes).
SAFETY_MARGIN_SECONDS = 2.0


def lease_seconds() -> float:
    return float(getattr(settings, "BEAT_LEADER_LEASE_SECONDS", 20))


def renew_seconds() -> float:
    return float(getattr(settings, "BEAT_LEADER_RENEW_SECONDS", 5))


@dataclass(frozen=True)
class Leader:
    host: str
    pid: int

    def describe(self) -> str:
        return f"{self.host}, pid {self.pid}"


def current_leader() -> Leader | None:
    """The beat holding an unexpired lease, or None (for ``/healthz``)."""
    from integrations.models import BeatLeader

    row = (
        BeatLeader.objects.filter(name=LEASE_NAME, expires_at__gt=Now())
        .values_list("host", "pid")
        .first()
    )
    return Leader(host=row[0], pid=row[1]) if row else None


class Leadership:
    """One beat process's side of the lease. ``renew()`` is called from beat's loop; ``leading()``
    says whether this process may send now."""

    def __init__(self, *, host: str | None = None, pid: int | None = None) -> None:
        self.host = (host or socket.gethostname())[:200]
        self.pid = pid or os.getpid()
        # Unique per process start, so a restarted process with a recycled pid is a new holder.
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:12]}"
        self._valid_until = 0.0  # monotonic; 0 = not leading
        self._last_attempt = 0.0

    def leading(self) -> bool:
        return time.monotonic() < self._valid_until

    def due(self) -> bool:
        return time.monotonic() - self._last_attempt >= renew_seconds()

    def seconds_to_next_renewal(self) -> float:
        return max(0.0, self._last_attempt + renew_seconds() - time.monotonic())

    def renew(self) -> bool:
        """Take or extend the lease; True when this process leads afterwards. A database error
        keeps the current lease until it runs out (it is logged, never raised)."""
        from integrations.models import BeatLeader

        started = time.monotonic()
        self._last_attempt = started
        ttl = lease_seconds()
        expires = ExpressionWrapper(Now() + timedelta(seconds=ttl), output_field=DateTimeField())
        was_leading = self.leading()
        try:
            with transaction.atomic():
                taken = (
                    BeatLeader.objects.filter(name=LEASE_NAME)
                    .filter(Q(holder=self.holder) | Q(expires_at__lt=Now()))
                    .update(
                        holder=self.holder,
                        host=self.host,
                        pid=self.pid,
                        expires_at=expires,
                    )
                )
                if taken and not was_leading:
                    BeatLeader.objects.filter(name=LEASE_NAME, holder=self.holder).update(
                        acquired_at=Now()
                    )
            if not taken:
                taken = self._create(expires)
        except (DatabaseError, InterfaceError):
            logger.warning("beat leader: the lease could not be renewed", exc_info=True)
            # A broken connection is opened again on the next try.
            with contextlib.suppress(DatabaseError, InterfaceError):
                connection.close()
            return self.leading()
        if taken:
            self._valid_until = started + ttl - SAFETY_MARGIN_SECONDS
        else:
            self._valid_until = 0.0
        if taken and not was_leading:
            logger.info("beat leader: this process leads now", extra={"holder": self.holder})
        elif was_leading and not taken:
            logger.warning("beat leader: the lease was taken by another beat; following")
        return self.leading()

    def _create(self, expires: ExpressionWrapper) -> bool:
        """The first beat ever: insert the row (another beat inserting at once wins or loses
        on the primary key)."""
        from integrations.models import BeatLeader

        try:
            with transaction.atomic():
                BeatLeader.objects.create(
                    name=LEASE_NAME,
                    holder=self.holder,
                    host=self.host,
                    pid=self.pid,
                    acquired_at=Now(),
                    expires_at=expires,
                )
        except IntegrityError:
            return False
        return True

    def release(self) -> None:
        """On a clean stop: let another beat take over at once instead of after the lease."""
        from integrations.models import BeatLeader

        if not self.leading():
            return
        self._valid_until = 0.0
        try:
            BeatLeader.objects.filter(name=LEASE_NAME, holder=self.holder).update(
                expires_at=Now() - timedelta(seconds=1)
            )
        except (DatabaseError, InterfaceError):
            logger.warning("beat leader: the lease could not be released", exc_info=True)
