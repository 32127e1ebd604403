"""The per-integration receive limit, ``config.rate_limit_per_minute``, counted across processes.

A fixed one-minute window per integration code, counted in Redis with one ``INCR`` (and an
``EXPIRE`` so old windows vanish): every web process of the hub shares the count. The store is
``RATE_LIMIT_REDIS_URL``, which defaults to the Celery broker's Redis. Without Redis (the
embedded broker of ``make run``) the count is kept in Django's cache, which for the default
local-memory cache means per process: good enough for one machine, documented in the README.

The limit protects the hub; it must never lose a delivery because its own store is down. When
Redis does not answer (quickly: short timeouts), the request is served as if under the limit.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
_KEY_PREFIX = "vendhub:receive-rate"
# Seconds to wait for the counter's store: a receive must not hang on it.
_STORE_TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    # Seconds until the current window ends (what ``Retry-After`` says when refused).
    retry_after: int
    # None: the store did not answer and the request was let through.
    count: int | None


@functools.lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=_STORE_TIMEOUT_SECONDS,
        socket_timeout=_STORE_TIMEOUT_SECONDS,
        retry_on_timeout=False,
    )


def _count_in_redis(url: str, key: str) -> int:
    pipeline = _client(url).pipeline(transaction=False)
    pipeline.incr(key)
    pipeline.expire(key, WINDOW_SECONDS * 2)
    count, _ = pipeline.execute()
    return int(count)


def _count_in_cache(key: str) -> int:
    if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
        return 1
    return int(cache.incr(key))


def receive_rate_check(*, code: str, limit: int | None, now: float | None = None) -> RateDecision:
    """Count one receive for ``code`` and say whether it is within ``limit`` per minute."""
    moment = time.time() if now is None else now
    window = int(moment // WINDOW_SECONDS)
    retry_after = max(1, int((window + 1) * WINDOW_SECONDS - moment))
    if not limit:
        return RateDecision(allowed=True, retry_after=retry_after, count=None)
    key = f"{_KEY_PREFIX}:{code}:{window}"
    url = settings.RATE_LIMIT_REDIS_URL
    try:
        count = _count_in_redis(url, key) if url else _count_in_cache(key)
    except (redis.RedisError, OSError, ValueError) as error:
        # Fail open: a delivery is never refused or lost because the counter is unreachable.
        logger.warning(
            "receive rate limit of %s not counted (%s): serving", code, type(error).__name__
        )
        return RateDecision(allowed=True, retry_after=retry_after, count=None)
    return RateDecision(allowed=count <= limit, retry_after=retry_after, count=count)
