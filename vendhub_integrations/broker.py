"""The embedded broker of ``make run``: kombu's filesystem transport, made safe between processes.

kombu's filesystem transport creates a message file and only then locks and fills it, while a
reader takes any ``*.msg`` file it lists without looking at the lock: a worker polling at the
wrong moment reads an empty file and dies with a JSON error. The same window exists when the
first process binds a fanout queue and creates the exchange table. This transport writes each
message under a temporary name and renames it into place (a rename is atomic within a folder),
reads a half-written exchange table again instead of failing, and lets threads of one process
bind a queue and route by its table in turn.

``vendhub_integrations.celery`` installs it as the ``filesystem://`` transport in every process.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

_TABLE_READ_ATTEMPTS = 20

T = TypeVar("T")


class Channel(filesystem.Channel):
    # Connections of one process share kombu's in-memory binding state: a thread that finds a
    # binding there routes by the table on disk, which the binding thread may not have written
    # yet (its message would go to no queue). Binding and reading the table take turns.
    _binding_lock = threading.RLock()

    def queue_bind(self, *args: Any, **kwargs: Any) -> Any:
        with self._binding_lock:
            return super().queue_bind(*args, **kwargs)

    # kombu's filesystem channel names the argument payload where the virtual base says message;
    # this overrides the former, and kombu passes it positionally.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # Not "<queue>.msg" after the first dot, so readers skip it until the rename.
        partial = f"{final}.partial"
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except OSError as error:
            raise ChannelError(f"Cannot add file {final!r} to directory") from error

    def get_table(self, exchange: str) -> list[Any]:
        with self._binding_lock:
            return _retrying_half_written(super().get_table, exchange)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str | None, queue: str) -> None:
        _retrying_half_written(super()._queue_bind, exchange, routing_key, pattern, queue)


def _retrying_half_written(read: Callable[..., T], *args: Any) -> T:
    """Call ``read`` again while the exchange table it parses is still being created by another
    process (an empty file does not parse)."""
    for attempt in range(_TABLE_READ_ATTEMPTS):
        try:
            return read(*args)
        except ValueError:
            time.sleep(0.01 * (attempt + 1))
    return read(*args)


def _fresh_lock_after_fork() -> None:
    # Celery's prefork pool forks the worker; a child must not inherit the lock held by a thread
    # that does not exist in it.
    Channel._binding_lock = threading.RLock()


os.register_at_fork(after_in_child=_fresh_lock_after_fork)


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    """Make ``filesystem://`` URLs use this transport."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
