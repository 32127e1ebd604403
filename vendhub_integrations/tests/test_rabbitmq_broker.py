"""RabbitMQ as the broker (``CELERY_BROKER_URL=amqp://…``): durable classic queues, persistent
messages and publisher confirms, so queued messages survive a broker restart and a worker then
runs them. A RabbitMQ node of the test's own is started (restarting the machine's is not
allowed); without Debian's rabbitmq-server the test is skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.testing.processes import wait_until
from core.testing.servers import (
    REPO_ROOT,
    ThrowAwayServices,
    find_rabbitmq_server,
    free_port_in,
)
from core.testing.worker import celery_worker
from integrations.models import WorkerHeartbeat
from vendhub_integrations.celery import app


def _settings_for(broker_url: str) -> dict:
    """The Celery settings a process started with ``broker_url`` gets."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'CELERY_BROKER_TRANSPORT_OPTIONS', 'CELERY_TASK_DEFAULT_QUEUE_TYPE', "
        "'CELERY_TASK_DEFAULT_DELIVERY_MODE', 'CELERY_TASK_ACKS_LATE', "
        "'CELERY_TASK_REJECT_ON_WORKER_LOST', 'RATE_LIMIT_REDIS_URL')}))"
    )
    env = {**os.environ, "CELERY_BROKER_URL": broker_url, "DJANGO_DEBUG": "1"}
    env["DJANGO_SETTINGS_MODULE"] = "vendhub_integrations.settings"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    settings: dict = json.loads(out.strip().splitlines()[-1])
    return settings


def test_an_amqp_url_gets_confirms_durable_queues_and_keeps_acks_late() -> None:
    conf = _settings_for("amqp://guest:guest@127.0.0.1:5672//")
    assert conf["CELERY_BROKER_TRANSPORT_OPTIONS"] == {"confirm_publish": True}
    assert conf["CELERY_TASK_DEFAULT_QUEUE_TYPE"] == "classic"
    assert conf["CELERY_TASK_DEFAULT_DELIVERY_MODE"] == "persistent"
    assert conf["CELERY_TASK_ACKS_LATE"] is True
    assert conf["CELERY_TASK_REJECT_ON_WORKER_LOST"] is True
    # The receive rate limit has no Redis to share then: per process, never the AMQP URL.
    assert conf["RATE_LIMIT_REDIS_URL"] == ""


def test_a_redis_url_keeps_its_visibility_timeout() -> None:
    conf = _settings_for("redis://127.0.0.1:6379/8")
    assert "confirm_publish" not in conf["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert conf["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] > 3600


@pytest.fixture
def own_rabbitmq():
    if find_rabbitmq_server() is None:
        pytest.skip("no rabbitmq-server (Debian: apt-get install rabbitmq-server)")
    services = ThrowAwayServices()
    services.start_rabbitmq(port=free_port_in(18080, 18089))
    yield services
    services.stop()


def _send(broker_url: str, hostname: str) -> None:
    # Confirmed like the hub's own publishes: the send returns once RabbitMQ holds the message.
    with app.connection_for_write(broker_url) as connection:
        assert connection.transport_options is not None
        connection.transport_options["confirm_publish"] = True
        app.send_task(
            "integrations.worker_heartbeat", kwargs={"hostname": hostname}, connection=connection
        )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_queued_messages_survive_a_rabbitmq_restart(own_rabbitmq) -> None:
    url = own_rabbitmq.urls["CELERY_BROKER_URL"]
    # A worker declares the durable queue, then goes away; messages queue up with none running.
    with celery_worker(broker_url=url) as worker:
        _send(url, hostname="before-any-restart")
        assert wait_until(
            lambda: WorkerHeartbeat.objects.filter(hostname="before-any-restart").exists(),
            timeout=30,
        ), worker.output()[-3000:]
    names = [f"queued-{n}" for n in range(5)]
    for name in names:
        _send(url, name)

    own_rabbitmq.restart_rabbitmq(down_seconds=1.0)

    with celery_worker(broker_url=url) as worker:
        assert wait_until(
            lambda: WorkerHeartbeat.objects.filter(hostname__in=names).count() == len(names),
            timeout=60,
            interval=0.3,
        ), worker.output()[-3000:]
        assert "Connected to amqp://" in worker.output()
