"""Throw-away PostgreSQL, Redis and RabbitMQ servers for the test suite and the fault suites.

``make test`` runs against real servers. When ``DATABASE_URL`` / ``CELERY_BROKER_URL`` are not set,
``ThrowAwayServices`` starts private instances on free loopback ports in a temporary folder and
removes them afterwards, with the binaries ``binaries`` finds (a machine with only Python needs no
server installed); ``ports`` finds free ports and waits for a server to listen.
"""

from core.testing.servers.binaries import (
    REPO_ROOT,
    find_postgres_bin,
    find_rabbitmq_server,
    find_redis_server,
)
from core.testing.servers.ports import free_port, free_port_in, wait_for_port
from core.testing.servers.services import ThrowAwayServices

__all__ = [
    "REPO_ROOT",
    "ThrowAwayServices",
    "find_postgres_bin",
    "find_rabbitmq_server",
    "find_redis_server",
    "free_port",
    "free_port_in",
    "wait_for_port",
]
