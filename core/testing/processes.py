"""The hub's real processes, started one way for the tests, the benchmarks and the fault suite.

- ``ChildProcess``: one command (gunicorn, a Celery worker or beat) in a process group of its own,
  its output appended to a log file; stopped with SIGTERM then SIGKILL, or killed as a crash is.
  ``running`` starts one for the length of a ``with`` block.
- ``gunicorn_command`` / ``celery_command``: their command lines, with the flags the caller gives.
- ``ForwardSink``: the local HTTP server a hub forwards webhooks to; ``sink_process`` runs one in a
  process of its own.
- ``sign_body``: a body's signature in the hub's ``hmac_sha256`` scheme, sent in
  ``SIGNATURE_HEADER``.
- ``wait_until``: the wait for a process to be ready or for an outcome.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from core.testing.servers import REPO_ROOT, wait_for_port

# The ``hmac_sha256`` scheme (``webhooks.signatures.schemes.HmacSha256Scheme``): the hex
# HMAC-SHA256 of the raw body, keyed with the integration's webhook secret, in this header.
SIGNATURE_HEADER = "X-Signature"


def sign_body(secret: str, body: bytes | str) -> str:
    """The ``SIGNATURE_HEADER`` value the hub accepts for ``body`` under ``secret``."""
    raw = body.encode() if isinstance(body, str) else body
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.1,
    ignore_errors: bool = False,
) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; return the last answer.
    With ``ignore_errors`` an exception counts as "not yet" (a database being restarted)."""

    def holds() -> bool:
        if not ignore_errors:
            return condition()
        try:
            return condition()
        except Exception:
            return False

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if holds():
            return True
        time.sleep(interval)
    return holds()


def gunicorn_command(*arguments: str) -> list[str]:
    """``gunicorn vendhub_integrations.wsgi <arguments>`` with this Python."""
    return [sys.executable, "-m", "gunicorn", "vendhub_integrations.wsgi", *arguments]


def celery_command(*arguments: str, options: tuple[str, ...] = ()) -> list[str]:
    """``celery -A vendhub_integrations <options> <arguments>`` with this Python."""
    return [sys.executable, "-m", "celery", "-A", "vendhub_integrations", *options, *arguments]


class ChildProcess:
    """``command`` in a process group of its own (a signal reaches a pool's children too), its
    output appended to ``log_path``. ``start`` it again after a stop or a kill, as a supervisor
    would."""

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path = REPO_ROOT,
    ) -> None:
        self.name, self.command, self.env = name, command, dict(env)
        self.log_path, self.cwd = log_path, cwd
        self._popen: subprocess.Popen | None = None

    @property
    def process(self) -> subprocess.Popen:
        if self._popen is None:
            raise RuntimeError(f"{self.name} was never started")
        return self._popen

    def start(self) -> ChildProcess:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy open
            self._popen = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def send_signal(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole group (main process and pool children) as a crash or the OOM killer
        would."""
        if self._popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, sig)
        self._popen.wait(timeout=30)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the group, and SIGKILL it if it has not exited within ``timeout`` seconds."""
        if not self.alive():
            return
        self.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def child_pids(self) -> list[int]:
        result = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return [int(pid) for pid in result.stdout.split()]

    def wait_for_output(self, marker: str, *, timeout: float) -> None:
        """Return once ``marker`` is in the output (`` ready.`` for a Celery worker); raise with
        the output's end if the process exits first or ``timeout`` seconds pass."""
        seen = wait_until(lambda: marker in self.output() or not self.alive(), timeout=timeout)
        if not seen or not self.alive():
            raise RuntimeError(f"{self.name} did not start:\n{self.output()[-4000:]}")

    def wait_for_port(self, port: int, *, timeout: float, host: str = "127.0.0.1") -> None:
        wait_for_port(port, timeout=timeout, process=self.process, host=host)


@contextlib.contextmanager
def running(process: ChildProcess, *, stop_timeout: float = 30) -> Iterator[ChildProcess]:
    """``process`` started for the block and stopped (SIGTERM, then SIGKILL) when it ends."""
    process.start()
    try:
        yield process
    finally:
        process.stop(timeout=stop_timeout)


class ForwardSink:
    """A local HTTP server standing in for the service the hub forwards to: every POST answered
    200 ``{}`` after ``delay`` seconds (changeable while it runs) and counted in ``received``.
    ``record`` also keeps each delivery's X-Webhook-Id (``by_webhook``: how often each came) and
    the webhook ids per body ``id`` (``webhooks_of``). ``keep_alive`` answers in HTTP/1.1 on
    kept-alive connections, as production servers do."""

    def __init__(
        self,
        *,
        port: int,
        host: str = "127.0.0.1",
        delay: float = 0.0,
        record: bool = False,
        keep_alive: bool = False,
    ) -> None:
        self.host, self.port, self.delay, self.record = host, port, delay, record
        self.received = 0
        self.in_flight = 0
        self.by_webhook: Counter[str] = Counter()
        self.webhooks_of: dict[str, set[str]] = defaultdict(set)
        self.lock = threading.Lock()
        self.on_delivery: Callable[[], None] | None = None
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            # The answer goes out in two writes (headers, body): without TCP_NODELAY (which
            # nginx and gunicorn set) Nagle holds the body back for the client's delayed ACK,
            # 40 ms per request on a kept-alive connection.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.in_flight += 1
                try:
                    sink.deliver(self, body)
                finally:
                    with sink.lock:
                        sink.in_flight -= 1

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> ForwardSink:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def deliver(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.record:
            webhook_id = request.headers.get("X-Webhook-Id", "")
            try:
                external_id = str(json.loads(body).get("id"))
            except (ValueError, AttributeError):
                external_id = "?"
            with self.lock:
                self.by_webhook[webhook_id] += 1
                self.webhooks_of[external_id].add(webhook_id)
        with contextlib.suppress(OSError):  # the worker was killed mid-forward
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", "2")
            request.end_headers()
            request.wfile.write(b"{}")
            with self.lock:
                self.received += 1
            if self.on_delivery is not None:
                self.on_delivery()


def _serve_sink(port: int, received: Any, ready: Any) -> None:
    """Child process: a kept-alive sink counting its POSTs in ``received[0]``, until killed."""

    def count() -> None:
        with received.get_lock():
            received[0] += 1

    sink = ForwardSink(port=port, keep_alive=True)
    sink.on_delivery = count
    ready.set()
    sink.httpd.serve_forever()


@contextlib.contextmanager
def sink_process(port: int) -> Iterator[tuple[str, Any]]:
    """A ``ForwardSink`` in its own process: ``(url, received)``, the count in ``received[0]``.
    As the service a hub forwards to is: inside the caller's process its threads would wait for
    the GIL while the caller sends messages, a delay of the forwards that no real destination
    adds."""
    context = multiprocessing.get_context("spawn")
    received = context.Array("q", 1)
    ready = context.Event()
    process = context.Process(target=_serve_sink, args=(port, received, ready), daemon=True)
    process.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the sink did not start")
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        process.terminate()
        process.join(timeout=10)
