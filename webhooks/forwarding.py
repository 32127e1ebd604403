"""Forwarding a webhook to ``config.forward_url``, signed when ``config.forward_secret`` is set.

The body is the stored payload as JSON; ``X-Webhook-Id`` and ``X-Webhook-Event-Type`` say what it
is. With a forward secret (a ``whsec_<base64>`` string) the request also carries Standard Webhooks
headers, so the receiving service verifies the hub with the ``standardwebhooks`` package:
``Webhook(forward_secret).verify(body, headers)``. ``webhook-id`` is the webhook's id, the same on
every retry, so the receiver can drop repeats.

The call goes through the integration's one HTTP client with no retries of its own: a failed
forward is retried by the webhook's schedule (``next_retry_at``), not inside the worker. It uses
the thread's pooled session (``pooled_session``): a worker forwarding thousands of webhooks to the
same service keeps its connection alive rather than opening one per webhook.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from integrations.config import IntegrationConfig
from integrations.http import HttpError, IntegrationHttpClient, pooled_session
from integrations.models import Integration, IntegrationLog
from webhooks.models import Webhook
from webhooks.signatures import SignatureError
from webhooks.signatures.schemes import standard_webhooks_key, standard_webhooks_signature


class ForwardError(Exception):
    """The destination did not answer 2xx in time; the message is stored as the error."""


def forward_body(webhook: Webhook) -> bytes:
    return json.dumps(webhook.payload, ensure_ascii=False, separators=(",", ":")).encode()


def forward_headers(webhook: Webhook, body: bytes, *, forward_secret: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Id": str(webhook.id),
        "X-Webhook-Event-Type": webhook.event_type,
    }
    if forward_secret:
        try:
            key = standard_webhooks_key(forward_secret)
        except SignatureError:
            raise ForwardError("config.forward_secret is not a whsec_<base64> secret") from None
        timestamp = int(time.time())
        headers["webhook-id"] = str(webhook.id)
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = standard_webhooks_signature(
            key=key, message_id=str(webhook.id), timestamp=timestamp, body=body
        )
    return headers


def webhook_forward(
    *,
    webhook: Webhook,
    integration: Integration,
    url: str,
    config: IntegrationConfig | None = None,
    write_log: Callable[[IntegrationLog], None] | None = None,
) -> int:
    """POST the webhook to ``url``; return the 2xx status or raise ForwardError.

    ``config`` is the integration's typed config when the caller has read it already.
    ``write_log`` receives the call's log entry, built and redacted, for the caller to write
    with the webhook's outcome (see ``webhooks.services.outcome``); without it the entry is
    saved at once. Either way it exists for every attempt, whatever the answer."""
    body = forward_body(webhook)
    config = config if config is not None else integration.typed_config
    headers = forward_headers(webhook, body, forward_secret=config.forward_secret)
    client = IntegrationHttpClient(
        integration,
        retries=0,
        session=pooled_session(),
        write_log=write_log,
    )
    try:
        result = client.request(
            "POST",
            url,
            action="webhook_forward",
            headers=headers,
            data=body,
            log_request_body=webhook.payload,
        )
    except HttpError as error:
        raise ForwardError(f"forward to {url} failed: {error}") from None
    if not result.ok:
        raise ForwardError(f"forward to {url} answered HTTP {result.status_code}")
    return result.status_code
