"""The embedded filesystem broker never hands a reader a half-written message or table."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import cast

import pytest
from kombu import Connection

import vendhub_integrations.broker as broker


def _connection(folder: Path) -> Connection:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(exist_ok=True)
    return Connection(
        "filesystem://",
        transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        },
    )


def test_filesystem_urls_use_the_safe_transport(tmp_path) -> None:
    import vendhub_integrations.celery  # noqa: F401  (installs it, as every process does)

    with _connection(tmp_path) as connection:
        assert isinstance(connection.transport, broker.Transport)


def test_a_message_appears_only_once_it_is_complete(tmp_path, monkeypatch) -> None:
    queue_folder = tmp_path / "queue"
    seen_at_rename: list[tuple[list[str], dict]] = []
    real_replace = os.replace

    def checking_replace(source: str, target: str) -> None:
        visible = [name for name in os.listdir(queue_folder) if name.endswith(".msg")]
        seen_at_rename.append((visible, json.loads(Path(source).read_text())))
        real_replace(source, target)

    monkeypatch.setattr(broker.os, "replace", checking_replace)
    with _connection(tmp_path) as connection:
        channel = cast(broker.Channel, connection.default_channel)
        channel._put("celery", {"body": "x" * 100_000})
        assert channel._get("celery") == {"body": "x" * 100_000}

    assert seen_at_rename == [([], {"body": "x" * 100_000})]


def test_an_exchange_table_being_created_is_read_once_written(tmp_path) -> None:
    with _connection(tmp_path) as connection:
        channel = cast(broker.Channel, connection.default_channel)
        table = tmp_path / "control" / "celery.pidbox.exchange"
        table.write_bytes(b"")  # what another process's first bind leaves for a moment

        def finish_writing() -> None:
            time.sleep(0.05)
            table.write_text(json.dumps([["", "", "celery@box.celery.pidbox"]]))

        writer = threading.Thread(target=finish_writing)
        writer.start()
        rows = channel.get_table("celery.pidbox")
        writer.join()

    assert [row.queue for row in rows] == ["celery@box.celery.pidbox"]


@pytest.mark.parametrize("messages", [1500])
def test_a_reader_polling_while_a_writer_sends_gets_every_message(tmp_path, messages) -> None:
    received: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        with _connection(tmp_path) as connection:
            queue = connection.SimpleQueue("celery")
            try:
                while len(received) < messages:
                    message = queue.get(timeout=10)
                    received.append(message.payload["n"])
                    message.ack()
            except BaseException as error:
                errors.append(error)
            finally:
                queue.close()

    with _connection(tmp_path) as connection:
        # Declared (and its binding written) before the reader starts: two connections of one
        # process share kombu's in-memory binding state, so a reader declaring at the same moment
        # could make the writer route its first messages before the binding is on disk.
        queue = connection.SimpleQueue("celery")
        reader = threading.Thread(target=read)
        reader.start()
        for number in range(messages):
            queue.put({"n": number, "padding": "p" * 20_000})
        queue.close()
    reader.join(timeout=60)

    missing = sorted(set(range(messages)) - set(received))
    assert errors == [], f"{len(received)} of {messages} received; missing {missing[:10]}"
    assert sorted(received) == list(range(messages))


def test_a_message_sent_while_another_thread_binds_the_queue_is_delivered(
    tmp_path, monkeypatch
) -> None:
    """Connections of one process share kombu's binding state; a publisher must not route by a
    table the binding thread has not written yet."""
    slow_write_started = threading.Event()
    real_queue_bind = broker.filesystem.Channel._queue_bind

    def slow_queue_bind(self, *args):
        slow_write_started.set()
        time.sleep(0.3)  # the binding is in memory, not yet on disk
        return real_queue_bind(self, *args)

    monkeypatch.setattr(broker.filesystem.Channel, "_queue_bind", slow_queue_bind)
    queue_name = f"race-{time.monotonic_ns()}"  # a binding no earlier test left in memory

    def bind() -> None:
        with _connection(tmp_path) as connection:
            connection.SimpleQueue(queue_name).close()

    binder = threading.Thread(target=bind)
    binder.start()
    assert slow_write_started.wait(5)
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue(queue_name)
        queue.put({"n": 1})
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    binder.join()

    assert message.payload == {"n": 1}
