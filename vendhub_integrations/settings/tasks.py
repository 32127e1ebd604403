"""Celery: the broker (the embedded filesystem one, RabbitMQ or Redis) and its transport options,
at-least-once delivery, time limits, beat's leader lease, and the rate limiter's Redis.
"""

from __future__ import annotations

import os

from vendhub_integrations.settings.application import TIME_ZONE
from vendhub_integrations.settings.environment import VAR_DIR, env

# --- Celery -----------------------------------------------------------------------------------
# Without CELERY_BROKER_URL the hub runs on kombu's filesystem transport: no server needed, good for
# one machine (`make run`). Production sets a Redis URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://localhost//"
if CELERY_BROKER_URL.rstrip("/") == "filesystem:":
    # A host for kombu to show: without one, every process that connects warns "No hostname was
    # supplied" (the filesystem transport has no use for it). Celery reads the variable itself,
    # before this setting, so the variable is set too.
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"] = "filesystem://localhost//"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ. Celery's queues are classic durable queues and its messages persistent, so what
    # is queued survives a broker restart. Not quorum queues: Celery runs countdowns (retries,
    # the sweeper's delays) as unacknowledged messages held by the worker, and quorum queues
    # need global QoS off and give up message priorities; a durable classic queue keeps the
    # at-least-once settings below as they are. Publisher confirms: a publish (the receive's
    # wake-up message included) returns only once RabbitMQ has the message, and raises when it
    # refuses it (the row is then left to the sweeper, as when the broker is down).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
    CELERY_TASK_DEFAULT_QUEUE_TYPE = "classic"
    CELERY_TASK_DEFAULT_DELIVERY_MODE = "persistent"
    # A worker whose host vanished is noticed by RabbitMQ after two missed heartbeats; its
    # unacknowledged messages then go back to the queue.
    CELERY_BROKER_HEARTBEAT = env.int("CELERY_BROKER_HEARTBEAT", default=20)
else:
    # Longer than the longest task, so Redis does not redeliver a message still being worked on.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
# At-least-once: a message is acknowledged only after its task finished, and given back when the
# worker process dies; every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connections before and after every task unless this is
# set, then every this many tasks; around each task the worker applies Django's own rule instead
# (CONN_MAX_AGE, CONN_HEALTH_CHECKS; see vendhub_integrations.celery).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Any number of beat processes may run: the one holding the lease in the database sends
# (integrations.leadership); the others take over within lease + renew seconds of its death.
CELERY_BEAT_SCHEDULER = "vendhub_integrations.beat_scheduler:LeaderScheduler"
BEAT_LEADER_LEASE_SECONDS = env.int("BEAT_LEADER_LEASE_SECONDS", default=20)
BEAT_LEADER_RENEW_SECONDS = env.int("BEAT_LEADER_RENEW_SECONDS", default=5)
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How long the web process waits for the broker before it gives up enqueueing (the row is stored
# anyway and the sweeper sends it later).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY = False
# Where receives are counted for config.rate_limit_per_minute, shared by every web process: the
# broker's Redis unless set. Empty with the embedded broker: Django's cache (per process).
RATE_LIMIT_REDIS_URL = env.str(
    "RATE_LIMIT_REDIS_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
)
