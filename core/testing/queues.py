"""What the test broker holds: emptied before a worker test, read by tests of what was sent.

The suite runs on Redis or on RabbitMQ (``CELERY_BROKER_URL=amqp://…``). On Redis a test owns a
database number and flushes it; on RabbitMQ it owns a vhost, and the queues Celery declares in it
are purged (RabbitMQ keeps a durable queue, and its messages, from one test to the next). Reading
the queued messages does not take them: on Redis the list is read in place, on RabbitMQ each
message is fetched unacknowledged and handed back when the connection closes.
"""

from __future__ import annotations

import base64
import json
from typing import Any, cast

import redis
from amqp.channel import Channel as AmqpChannel
from amqp.exceptions import NotFound
from kombu import Connection


def is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://"))


def is_amqp(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://", "pyamqp://"))


def celery_queue_names() -> list[str]:
    """The queues the hub's Celery app sends to and consumes from (``celery`` unless routed)."""
    from celery import current_app as app

    names = set(app.amqp.queues) | {app.conf.task_default_queue}
    return sorted(names)


def empty_broker(url: str) -> None:
    """Drop every message left in the broker at ``url`` by an earlier test."""
    if is_redis(url):
        redis.Redis.from_url(url).flushdb()
        return
    if not is_amqp(url):
        raise ValueError(f"no way to empty the broker of a {url.split(':', 1)[0]}: URL")
    with Connection(url, connect_timeout=5) as connection:
        for name in celery_queue_names():
            # A missing queue closes the channel it was asked on: one channel per queue.
            channel = cast(AmqpChannel, connection.channel())  # py-amqp's, under kombu's
            try:
                channel.queue_purge(name)
            except NotFound:
                pass  # never declared in this vhost: nothing queued
            finally:
                channel.close()


def queued_task_bodies(url: str, queue: str = "celery") -> list[Any]:
    """The decoded bodies (``[args, kwargs, embed]``) of the messages waiting in ``queue``,
    oldest first, left in the queue."""
    if is_redis(url):
        client = redis.Redis.from_url(url)
        # kombu's Redis transport pushes on the left and pops on the right: oldest is last.
        raw_messages = reversed(client.lrange(queue, 0, -1))
        return [json.loads(base64.b64decode(json.loads(raw)["body"])) for raw in raw_messages]
    if not is_amqp(url):
        raise ValueError(f"no way to read the queues of a {url.split(':', 1)[0]}: URL")
    bodies: list[Any] = []
    with Connection(url, connect_timeout=5) as connection:
        channel = cast(AmqpChannel, connection.channel())
        try:
            while (message := channel.basic_get(queue, no_ack=False)) is not None:
                bodies.append(json.loads(message.body))
        except NotFound:
            return []
        # Never acknowledged: closing the connection puts every message back in the queue.
    return bodies
