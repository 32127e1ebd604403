"""Fixtures of the webhook tests: a sender that signs, a local HTTP server to forward to, and
handlers registered for one test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from webhooks.tests.helpers import SECRET


@pytest.fixture(autouse=True)
def _broker_not_paused() -> Iterator[None]:
    """Each test starts with this process sending wake-up messages: a test whose send failed
    (a broker outage, real or simulated) leaves a pause of ``BROKER_PAUSE_SECONDS`` during
    which receives leave their message to the sweeper, and a worker test right after it would
    wait for a message that is never sent."""
    from webhooks.services import enqueue

    enqueue._broker_paused_until = 0.0
    yield
    enqueue._broker_paused_until = 0.0


@pytest.fixture
def integration(db):
    """An active integration of a generic provider with a webhook secret (hmac_sha256)."""
    from integrations.tests.factories import IntegrationFactory

    return IntegrationFactory(webhook_secret=SECRET, provider="erp")


@pytest.fixture
def registered():
    """Register handlers for one test only."""
    from webhooks.handlers import unregister_webhook_handler, webhook_handler

    functions = []

    def register(provider: str = "*", event_type: str = "*"):
        def decorator(function):
            functions.append(function)
            return webhook_handler(provider=provider, event_type=event_type)(function)

        return decorator

    yield register
    for function in functions:
        unregister_webhook_handler(function)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ForwardServer:
    """Answers every POST with ``status`` after ``delay`` seconds and records what it got."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0

    def wait_for(self, count: int, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.05)
        return len(self.requests) >= count


@pytest.fixture
def forward_server() -> Iterator[ForwardServer]:
    state: dict[str, ForwardServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            server_state = state["server"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            server_state.requests.append(Received(self.path, dict(self.headers.items()), body))
            if server_state.delay:
                time.sleep(server_state.delay)
            try:
                self.send_response(server_state.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["server"] = ForwardServer(url=f"http://127.0.0.1:{server.server_port}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class BrokerOutage:
    restore: Any


@pytest.fixture
def broker_down() -> Iterator[BrokerOutage]:
    """This process's Celery app pointed at a port where no broker listens, as in an outage;
    ``broker_down.restore()`` ends the outage."""
    from celery import current_app as app

    from webhooks.services import enqueue

    def point_at(url: str) -> None:
        # celery-types has these settings read-only and the pools private: Celery allows both.
        app.conf.broker_url = url  # type: ignore[misc]
        app.conf.broker_write_url = url  # type: ignore[misc]
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]
        enqueue._broker_paused_until = 0.0

    original = app.conf.broker_write_url
    point_at("redis://127.0.0.1:1/0")
    try:
        yield BrokerOutage(restore=lambda: point_at(original))
    finally:
        point_at(original)
