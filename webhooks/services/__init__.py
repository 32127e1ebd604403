"""Writes on webhooks: receive, process, retry, sweep, and the webhook secret's rotation.

The database row is the truth and the queue only a wake-up call. A delivery is committed before
the sender gets its 2xx; the message that asks a worker to process it is sent after the commit,
and when that message is lost (broker down, worker killed) the sweeper sends another. Every
status change is a conditional update, so two workers can never both process one webhook (see
the transition table in ``webhooks.models``).

One module per operation group, re-exported here: ``delivery`` (the receive URL's one entry,
``webhook_receive``), ``receive`` (through the ORM) and ``receive_kept`` (the kept integration's
statement), ``enqueue``, ``process`` (with its ``claim`` and the try's record in ``outcome``),
``sweep``, ``retry``, ``replay``, ``rotation`` and ``retention``; the shared tunables in
``tunables``.
"""

from webhooks.services.delivery import (
    IntegrationUnreadable,
    KeptStatementFailed,
    ProtocolAnswers,
    webhook_receive,
)
from webhooks.services.enqueue import webhook_enqueue, webhook_enqueue_many
from webhooks.services.process import lease_seconds, retry_delay_seconds, webhook_process
from webhooks.services.receive import ReceiveOutcome, webhook_emit, webhook_refuse
from webhooks.services.replay import (
    ReplayReport,
    WebhookNotReplayable,
    webhook_is_replayable,
    webhook_replay,
    webhook_replay_many,
)
from webhooks.services.retention import PURGEABLE_STATUSES, webhook_purge
from webhooks.services.retry import (
    RetryReport,
    WebhookNotRetryable,
    webhook_is_retryable,
    webhook_retry,
    webhook_retry_many,
)
from webhooks.services.rotation import (
    RotatedSecret,
    webhook_secret_rotate,
)
from webhooks.services.sweep import SweepReport, webhook_sweep
from webhooks.services.tunables import (
    BROKER_PAUSE_SECONDS,
    DEFAULT_SECRET_OVERLAP_HOURS,
    MAX_RETRY_DELAY_SECONDS,
)

__all__ = [
    "BROKER_PAUSE_SECONDS",
    "DEFAULT_SECRET_OVERLAP_HOURS",
    "MAX_RETRY_DELAY_SECONDS",
    "PURGEABLE_STATUSES",
    "IntegrationUnreadable",
    "KeptStatementFailed",
    "ProtocolAnswers",
    "ReceiveOutcome",
    "ReplayReport",
    "RetryReport",
    "RotatedSecret",
    "SweepReport",
    "WebhookNotReplayable",
    "WebhookNotRetryable",
    "lease_seconds",
    "retry_delay_seconds",
    "webhook_emit",
    "webhook_enqueue",
    "webhook_enqueue_many",
    "webhook_is_replayable",
    "webhook_is_retryable",
    "webhook_process",
    "webhook_purge",
    "webhook_receive",
    "webhook_refuse",
    "webhook_replay",
    "webhook_replay_many",
    "webhook_retry",
    "webhook_retry_many",
    "webhook_secret_rotate",
    "webhook_sweep",
]
