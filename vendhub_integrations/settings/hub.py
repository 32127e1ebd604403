"""The hub's own knobs: webhook bodies and wake-up batching, retention, fiscal receipts and Click
Pass polling, alerts, and the networks no outbound call may reach.
"""

from __future__ import annotations

from integrations.outbound import DEFAULT_DENY_NETWORKS, parse_networks
from vendhub_integrations.settings.environment import env
from vendhub_integrations.startup import refuse_to_start

# --- The hub ----------------------------------------------------------------------------------
WEBHOOK_MAX_BODY_BYTES = env("WEBHOOK_MAX_BODY_BYTES")
# Most webhook ids one wake-up message carries when receives come faster than messages can be
# sent (webhooks.services.enqueue.BatchSender); 1 sends one message per receive, in the request.
WEBHOOK_ENQUEUE_BATCH = max(1, env("WEBHOOK_ENQUEUE_BATCH"))
# Under load, how long those ids gather before their message goes (a quiet spell: at once).
WEBHOOK_ENQUEUE_LINGER_MS = max(0, env("WEBHOOK_ENQUEUE_LINGER_MS"))
# The receive's one statement is prepared once per database connection (PostgreSQL then neither
# parses nor plans it again). Off for a pooler that cannot keep prepared statements (PgBouncer
# in transaction mode before 1.21, or without max_prepared_statements).
WEBHOOK_RECEIVE_PREPARED = env("WEBHOOK_RECEIVE_PREPARED")
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, WEBHOOK_MAX_BODY_BYTES)
INTEGRATION_LOG_MAX_BYTES = 64 * 1024
# Retention (beat runs it daily; `manage.py apply_retention` by hand): integration logs and
# completed/ignored webhooks older than this many days are deleted, in batches.
RETENTION_LOG_DAYS = max(1, env("RETENTION_LOG_DAYS"))
RETENTION_WEBHOOK_DAYS = max(1, env("RETENTION_WEBHOOK_DAYS"))
# Fiscal receipts made through Click: the first retry waits this long, each next one twice as
# long (at most an hour); a worker's claim on a receipt lasts FISCAL_LEASE_SECONDS, after which
# the beat sweep hands it to another worker. 7 s × (2⁹ − 1) ≈ 1 h: with the default 10 attempts
# a receipt Click never makes is failed (and alerted) after about an hour (gateways.md 5.2's SLA).
FISCAL_RETRY_BASE_SECONDS = max(0.0, env.float("FISCAL_RETRY_BASE_SECONDS", default=7.0))
FISCAL_LEASE_SECONDS = max(1.0, env.float("FISCAL_LEASE_SECONDS", default=120.0))
# Click Pass: how long the request itself polls Click's payment status (every ..._INTERVAL
# seconds) before it answers "processing" and leaves the charge to the worker. It is the whole
# request's budget (charge, confirmation, polls; each call waits at most what is left of it), so
# the answer comes before gunicorn's 30 s worker timeout.
CLICK_PASS_POLL_SECONDS = max(0.0, env.float("CLICK_PASS_POLL_SECONDS", default=25.0))
CLICK_PASS_POLL_INTERVAL = max(0.05, env.float("CLICK_PASS_POLL_INTERVAL", default=1.5))

# --- Alerts -----------------------------------------------------------------------------------
# Where the links in alert messages point (the admin of this hub as operators reach it).
HUB_PUBLIC_URL = env.str("HUB_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# Events of one (channel, event, integration) gather into one message: it goes once no new
# event came for ALERT_QUIET_SECONDS, and at the latest ALERT_MAX_WAIT_SECONDS after the first
# (the beat sweep runs every ALERT_SWEEP_SECONDS, so a message leaves within a minute).
ALERT_QUIET_SECONDS = env.float("ALERT_QUIET_SECONDS", default=10.0)
ALERT_MAX_WAIT_SECONDS = env.float("ALERT_MAX_WAIT_SECONDS", default=35.0)
ALERT_SWEEP_SECONDS = env.int("ALERT_SWEEP_SECONDS", default=20)
# A channel that fails is tried this many times in all, waiting ALERT_RETRY_BASE_SECONDS·2^n
# between tries (a Telegram retry_after wins), then the alert is recorded failed.
ALERT_SEND_ATTEMPTS = max(1, env.int("ALERT_SEND_ATTEMPTS", default=5))
ALERT_RETRY_BASE_SECONDS = env.float("ALERT_RETRY_BASE_SECONDS", default=10.0)

# --- Protection and limits --------------------------------------------------------------------
# Networks no outbound call may reach (link-local and cloud metadata by default); loopback and
# private networks stay allowed. See integrations.outbound.
OUTBOUND_DENY_NETWORKS = [
    item.strip()
    for item in env.str("OUTBOUND_DENY_NETWORKS", default=DEFAULT_DENY_NETWORKS).split(",")
    if item.strip()
]
try:
    parse_networks(OUTBOUND_DENY_NETWORKS)
except ValueError as _error:
    refuse_to_start(f"OUTBOUND_DENY_NETWORKS is invalid: {_error}")
