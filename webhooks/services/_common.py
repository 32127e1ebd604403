"""The webhook pipeline's tunables and the readers of an integration's ``config`` that the
services share: retry counts and backoff, requeue and claim windows, the secret overlap.

Kept together so they can be replaced at once by a typed config object.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from integrations.models import Integration

DEFAULT_RETRY_ATTEMPTS = 3
DEFAULT_RETRY_BACKOFF_SECONDS = 30.0
MAX_RETRY_DELAY_SECONDS = 3600.0
# The largest max_retries the column holds (PostgreSQL integer).
MAX_RETRIES = 2_147_483_647
# A message sent but not acted on within this long is presumed lost and sent again.
_REQUEUE_AFTER = timedelta(seconds=300)
# A row younger than this is still being enqueued by the request that stored it.
_ENQUEUE_GRACE = timedelta(seconds=5)
# Tolerated early arrival of a countdown message (clock granularity between broker and database).
_EARLY_CLAIM = timedelta(seconds=1)
DEFAULT_SECRET_OVERLAP_HOURS = 24
# After the broker refused a message, how long this process leaves sending to the sweeper.
BROKER_PAUSE_SECONDS = 10.0


def _config(integration: Integration) -> dict[str, Any]:
    return integration.config or {}


def _number_config(integration: Integration, name: str, default: float) -> float:
    """A number from ``config`` (written by hand): anything else, NaN or infinity is the default."""
    try:
        value = float(_config(integration).get(name, default))
    except (TypeError, ValueError):
        return float(default)
    return value if math.isfinite(value) else float(default)


def max_retries_for(integration: Integration) -> int:
    """``config.retry_attempts`` (default 3; 0 means no retry) as the column can hold it."""
    attempts = _number_config(integration, "retry_attempts", DEFAULT_RETRY_ATTEMPTS)
    return int(min(max(attempts, 0), MAX_RETRIES))
