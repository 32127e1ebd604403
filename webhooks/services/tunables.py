"""The webhook pipeline's tunables that the services share: the retry cap, requeue and claim
windows, the secret overlap, the broker pause. What an integration's ``config`` sets (retry
attempts and backoff, leases) is read through ``integrations.config.IntegrationConfig``.
"""

from __future__ import annotations

from datetime import timedelta

MAX_RETRY_DELAY_SECONDS = 3600.0
# A message sent but not acted on within this long is presumed lost and sent again (a Redis that
# restarted without persistence lost it). A duplicate is harmless: the claim is conditional.
REQUEUE_AFTER = timedelta(seconds=60)
# A row younger than this is still being enqueued by the request that stored it.
ENQUEUE_GRACE = timedelta(seconds=5)
# Tolerated early arrival of a countdown message (clock granularity between broker and database).
EARLY_CLAIM = timedelta(seconds=1)
DEFAULT_SECRET_OVERLAP_HOURS = 24
# After the broker refused a message, how long this process leaves sending to the sweeper.
BROKER_PAUSE_SECONDS = 10.0


def gave_up_after(attempts: int) -> str:
    """The end of a failed webhook's ``error_message``, counting its tries as its attempt rows
    do: "gave up after 1 attempt", "gave up after 4 attempts"."""
    return f"gave up after {attempts} attempt{'' if attempts == 1 else 's'}"
