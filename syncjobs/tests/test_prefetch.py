"""``syncjobs.prefetch``: pages read one ahead in a thread, errors raised where they happened,
an early stop ends the thread."""

from __future__ import annotations

import threading
import time

import pytest

from syncjobs.prefetch import prefetch_possible, prefetched


@pytest.mark.django_db(transaction=True)
def test_pages_come_in_order_and_the_next_is_read_while_one_is_handled():
    read_at: dict[int, float] = {}
    threads: set[str] = set()

    def pages():
        for number in range(4):
            threads.add(threading.current_thread().name)
            read_at[number] = time.monotonic()
            yield [number]

    handled = []
    assert prefetch_possible()
    for page in prefetched(pages()):
        time.sleep(0.1)  # storing the page
        handled.append((page[0], time.monotonic()))

    assert [number for number, _ in handled] == [0, 1, 2, 3]
    assert threads == {"sync-prefetch"}
    # Page 1 was read before page 0 was done with.
    assert read_at[1] < handled[0][1]


@pytest.mark.django_db(transaction=True)
def test_an_error_while_reading_is_raised_after_the_pages_before_it():
    def pages():
        yield [1]
        raise ConnectionError("the source went away")

    got = []
    with pytest.raises(ConnectionError, match="went away"):
        for page in prefetched(pages()):
            got.append(page)
    assert got == [[1]]


@pytest.mark.django_db(transaction=True)
def test_stopping_early_ends_the_reading_thread():
    def pages():
        number = 0
        while True:
            number += 1
            yield [number]

    for page in prefetched(pages()):
        if page == [3]:
            break
    time.sleep(0.5)
    assert not any(thread.name == "sync-prefetch" for thread in threading.enumerate())


def test_inside_a_transaction_pages_are_read_inline(db):
    names = []

    def pages():
        names.append(threading.current_thread().name)
        yield [1]

    assert list(prefetched(pages())) == [[1]]
    assert names == [threading.current_thread().name]
