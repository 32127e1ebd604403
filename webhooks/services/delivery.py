"""One delivery to the receive URL, answered in one place: by the kept integration when it can,
from a fresh read of the integration otherwise.

The kept integration (``webhooks.kept_integrations``) answers a new, verified delivery with its
one statement (``receive_kept``) without reading the integration. Everything else is answered
from a fresh read: an unknown code, a gateway's own protocol, the refusals before anything is
stored (inactive, rate limited, too large), a refused signature (stored rejected through the
ORM, ``receive_fresh``), and a delivery the kept row could not store because the row changed.
The row just read is kept again, and a delivery it may store goes through its statement.

Each request reads and parses the body once and asks the signature scheme once per version of
the integration it sees: a delivery the kept integration refused is stored with that verdict
when the fresh read finds the same row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from integrations.models import Integration, IntegrationStatus
from integrations.providers import ReceiveProtocol, receive_protocol_for
from integrations.selectors import integration_get_live_versioned
from integrations.services import integration_secret_values
from webhooks import kept_integrations
from webhooks.inbound import BodyTooLarge, Delivery, max_body_bytes
from webhooks.kept_integrations import KeptIntegration
from webhooks.ratelimit import receive_rate_check
from webhooks.services.receive import (
    ReceiveOutcome,
    Verdict,
    delivery_verdict,
    fresh_verdict,
    receive_fresh,
    webhook_refuse,
)
from webhooks.services.receive_kept import receive_kept
from webhooks.signatures import InboundRequest

# What a sender of an inactive integration is told to wait before it tries again.
INACTIVE_RETRY_AFTER_SECONDS = 300


@dataclass(frozen=True)
class ProtocolAnswers:
    """The integration's own receive protocol (a gateway's) answers the whole request."""

    integration: Integration
    protocol: ReceiveProtocol


class IntegrationUnreadable(Exception):
    """The integration could not be read (the database does not answer); ``error`` says why."""

    def __init__(self, error: OperationalError | InterfaceError) -> None:
        super().__init__(str(error))
        self.error = error


class KeptStatementFailed(Exception):
    """The database failed the kept integration's statement: nothing was stored. ``error``
    says why; ``integration_read``: the integration had been read for this request."""

    def __init__(self, error: OperationalError | InterfaceError, *, integration_read: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.integration_read = integration_read


def webhook_receive(*, code: str, delivery: Delivery) -> ReceiveOutcome | ProtocolAnswers | None:
    """Steps 1 to 4 of the contract for a POST to ``code``'s receive URL: the outcome, the
    gateway protocol that answers instead, or None for a code no live integration has."""
    tried: tuple[str, Verdict] | None = None  # the kept row's version and its verdict
    kept = kept_integrations.kept(code)
    if kept is not None and delivery.whole_body_declared:
        request = _inbound(delivery)
        first = _kept_verdict(kept, request)
        if first.refusal is None:
            outcome = _store_kept(kept, request, first, delivery, integration_read=False)
            if outcome is not None:
                return outcome
        tried = (kept.version, first)

    try:
        integration, version = integration_get_live_versioned(code=code)
    except (OperationalError, InterfaceError) as error:
        raise IntegrationUnreadable(error) from error
    if integration is None:
        kept_integrations.forget(code)
        return None
    kept = kept_integrations.keep(integration, version)
    protocol = receive_protocol_for(integration)
    if protocol is not None:
        return ProtocolAnswers(integration=integration, protocol=protocol)
    refusal = _refusal(integration, delivery)
    if refusal is not None:
        return refusal
    request = _inbound(delivery)
    # The kept row's verdict holds when the fresh read found that very row.
    verdict = tried[1] if tried is not None and tried[0] == version else None
    if kept is not None and verdict is None:
        verdict = _kept_verdict(kept, request)
        if verdict.refusal is None:
            outcome = _store_kept(kept, request, verdict, delivery, integration_read=True)
            if outcome is not None:
                return outcome
    secrets = kept.secrets if kept is not None else integration_secret_values(integration)
    if verdict is None:
        verdict = fresh_verdict(integration=integration, request=request, secrets=secrets)
    return receive_fresh(
        integration=integration,
        request=request,
        verdict=verdict,
        secrets=secrets,
        endpoint=delivery.endpoint,
        started=delivery.started,
    )


def _inbound(delivery: Delivery) -> InboundRequest:
    return InboundRequest(
        body=delivery.body(), headers=delivery.headers, payload=delivery.payload()
    )


def _kept_verdict(kept: KeptIntegration, request: InboundRequest) -> Verdict:
    return delivery_verdict(
        scheme=kept.scheme,
        config=kept.config,
        request=request,
        secrets=kept.secrets,
        valid_secrets=kept.verification_secrets(timezone.now()),
    )


def _store_kept(
    kept: KeptIntegration,
    request: InboundRequest,
    verdict: Verdict,
    delivery: Delivery,
    *,
    integration_read: bool,
) -> ReceiveOutcome | None:
    """``receive_kept``'s answer; None (the row forgotten when it changed) when a fresh read
    must answer."""
    try:
        outcome = receive_kept(
            kept,
            request=request,
            verdict=verdict,
            endpoint=delivery.endpoint,
            started=delivery.started,
        )
    except (OperationalError, InterfaceError) as error:
        raise KeptStatementFailed(error, integration_read=integration_read) from error
    if outcome is None:
        kept_integrations.forget(kept.integration.code)
        return None
    outcome.integration_read = integration_read
    return outcome


def _refusal(integration: Integration, delivery: Delivery) -> ReceiveOutcome | None:
    """Step 1 of the contract: inactive, over the rate limit, or too large; None otherwise (the
    body then read)."""

    def refuse(
        status_code: int, error: str, reason: str, retry_after: int | None = None
    ) -> ReceiveOutcome:
        return webhook_refuse(
            integration=integration,
            endpoint=delivery.endpoint,
            headers=delivery.headers,
            status_code=status_code,
            error=error,
            reason=reason,
            started=delivery.started,
            extra_headers={"Retry-After": str(retry_after)} if retry_after else None,
        )

    if integration.status == IntegrationStatus.INACTIVE:
        return refuse(
            503,
            "integration_inactive",
            "the integration is inactive; deliver again later",
            INACTIVE_RETRY_AFTER_SECONDS,
        )
    limit = integration.typed_config.rate_limit_per_minute
    rate = receive_rate_check(code=integration.code, limit=limit)
    if not rate.allowed:
        return refuse(
            429,
            "rate_limited",
            f"more than {limit} receives this minute (config.rate_limit_per_minute); "
            "deliver again later",
            rate.retry_after,
        )
    try:
        delivery.body()
    except BodyTooLarge:
        return refuse(413, "payload_too_large", f"the body is over {max_body_bytes()} bytes")
    return None
