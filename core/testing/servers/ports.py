"""Loopback ports for the throw-away servers and the processes the tests start: a free one, a free
one in a range (for servers a test restarts on the same port), and a wait until one listens."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_port_in(first: int, last: int) -> int:
    """A free loopback port between ``first`` and ``last`` (for servers a test restarts)."""
    for port in range(first, last + 1):
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {first} and {last}")


def wait_for_port(
    port: int, *, timeout: float, process: subprocess.Popen, host: str = "127.0.0.1"
) -> None:
    """Return once ``host:port`` accepts a connection; raise if ``process`` exits first or
    ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection((host, port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port} within {timeout:.0f}s")
