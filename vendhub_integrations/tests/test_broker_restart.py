"""A real worker stays up through Redis restarts, with and without a message in flight.

Celery 5.7.0 exited at the first restart once it held an unacknowledged message (any countdown,
as every retry has): ``Unrecoverable error: AttributeError("'NoneType' object has no attribute
'hostname'")`` from kombu's Redis channel restoring the message through a transport that the
consumer had already detached. These tests fail on that version and pass on the pinned one.
"""

from __future__ import annotations

import shutil

import pytest

from core.testing.processes import wait_until
from core.testing.servers import (
    ThrowAwayServices,
    find_redis_server,
    free_port_in,
)
from core.testing.worker import celery_worker
from integrations.models import WorkerHeartbeat
from vendhub_integrations.celery import app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis():
    """A Redis of this test alone: restarting the shared one is not allowed."""
    if find_redis_server() is None and shutil.which("redis-server") is None:
        pytest.skip("no redis-server binary")
    services = ThrowAwayServices()
    services.start_redis(port=free_port_in(18090, 18099))
    yield services
    services.stop()


def _send(broker_url: str, *, hostname: str, countdown: int = 0) -> None:
    with app.connection_for_write(broker_url) as connection:
        app.send_task(
            "integrations.worker_heartbeat",
            kwargs={"hostname": hostname},
            countdown=countdown,
            connection=connection,
        )


def _ran(hostname: str) -> bool:
    return WorkerHeartbeat.objects.filter(hostname=hostname).exists()


@pytest.mark.parametrize("in_flight", [True, False], ids=["message-in-flight", "idle"])
def test_worker_survives_redis_restarts(own_redis, in_flight):
    url = own_redis.urls["CELERY_BROKER_URL"]
    # DEBUG: the heartbeat task is routine, its "received" line (awaited below) is debug only.
    with celery_worker(broker_url=url, extra_env={"LOG_LEVEL": "DEBUG"}) as worker:
        if in_flight:
            _send(url, hostname="held-by-countdown", countdown=120)
            assert wait_until(lambda: "received" in worker.output(), timeout=20), worker.output()[
                -3000:
            ]
        for restart in range(2):
            own_redis.restart_redis(down_seconds=1.0)
            # The worker reconnects by itself and takes new work off the restarted broker.
            marker = f"after-restart-{restart}"
            connected = restart + 2

            def reconnected(n: int = connected) -> bool:
                return worker.output().count("Connected to redis") >= n

            assert wait_until(reconnected, timeout=30), worker.output()[-4000:]
            _send(url, hostname=marker)

            def ran(name: str = marker) -> bool:
                return _ran(name)

            assert wait_until(ran, timeout=40, interval=0.2), worker.output()[-4000:]
            assert worker.process.poll() is None, worker.output()[-4000:]
        output = worker.output()
    assert "Unrecoverable error" not in output
    assert "Connection to broker lost" in output
