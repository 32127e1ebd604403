"""Reading the next page while the current one is stored.

A sync job alternated between waiting for the source (an HTTP GET of a page) and writing to
PostgreSQL; each waited for the other. ``prefetched(pages)`` runs the page iterator in a thread
of its own, one page ahead: while the engine stores page n, page n+1 is being fetched (and its
outbound log written, on the thread's own database connection). Memory holds at most two
pages. An error in the fetch is raised in the engine at the page where it happened; when the
engine stops early (cancel, failure, time limit) the thread stops at its next page and closes
its connection.

Off that path (inside a transaction, where a second connection would not see the job's rows,
as in tests that run in one, or on SQLite, whose writers take turns) the pages are read
inline, as before.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection

_DONE = object()
# How often a thread blocked on a full queue looks whether the engine has stopped.
_POLL_SECONDS = 0.2


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch_possible() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def prefetched(pages: Iterable[Any]) -> Iterator[Any]:
    """``pages``, each fetched while the previous one is being handled."""
    if not prefetch_possible():
        yield from pages
        return
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        from django.db import connection as own_connection

        try:
            for page in pages:
                if not put(page):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the engine, raised there
            put(_Failure(error))
        finally:
            own_connection.close()

    thread = threading.Thread(target=fetch, name="sync-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)
