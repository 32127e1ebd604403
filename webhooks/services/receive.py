"""Receiving through the ORM: the signature's verdict on a delivery, a delivery for an integration
just read stored (refused, pending or a duplicate) with its inbound log, the refusals before
anything is stored; and ``webhook_emit``, which puts an event the hub itself produced into the
same pipeline. ``webhook_receive`` (``webhooks.services.delivery``) decides when this path
answers rather than the kept integration's statement (``webhooks.services.receive_kept``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.config import IntegrationConfig
from integrations.models import Integration, IntegrationLog, LogDirection
from integrations.redaction import redact
from integrations.services import integration_log_build, integration_log_create
from webhooks.inbound import scrub_values
from webhooks.models import Webhook, WebhookStatus
from webhooks.selectors import verification_secrets
from webhooks.services.enqueue import webhook_enqueue
from webhooks.signatures import (
    InboundRequest,
    SignatureError,
    SignatureScheme,
    scheme_for,
    scheme_name_for,
)


@dataclass
class ReceiveOutcome:
    """What the receive URL answers: ``status_code`` and ``body``, and the row when one exists.

    ``kept``: answered by the kept integration's statement; ``integration_read``: the
    integration was read for this request (not answered by the kept one alone)."""

    status_code: int
    body: dict[str, Any]
    webhook: Webhook | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    kept: bool = False
    integration_read: bool = True


@dataclass(frozen=True)
class Verdict:
    """The signature scheme's word on one delivery: the columns it read from it (as far as it
    got: ``signature``, ``external_id``, ``event_type``), its refusal if it refused, and whether
    the delivery counts as verified (a scheme without a secret verifies nothing)."""

    fields: dict[str, Any]
    refusal: SignatureError | None
    verified: bool


def log_inbound(
    *,
    integration: Integration,
    endpoint: str,
    headers: dict[str, str],
    payload: Any,
    outcome: ReceiveOutcome,
    started: float,
    secrets: list[str] | None = None,
    build: bool = False,
) -> IntegrationLog:
    """Write the inbound log of ``outcome``; with ``build``, return it unsaved instead."""
    write = integration_log_build if build else integration_log_create
    return write(
        integration=integration,
        secrets=secrets,
        action="webhook_receive",
        direction=LogDirection.INBOUND,
        endpoint=endpoint,
        request_data={"headers": headers, "body": payload},
        response_data=outcome.body,
        status_code=outcome.status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
        error_message=outcome.reason,
        metadata={"webhook_id": str(outcome.webhook.id) if outcome.webhook else None},
    )


def webhook_refuse(
    *,
    integration: Integration,
    endpoint: str,
    headers: dict[str, str],
    status_code: int,
    error: str,
    reason: str,
    started: float,
    extra_headers: dict[str, str] | None = None,
) -> ReceiveOutcome:
    """Answer a request that is refused before anything is stored (inactive, too large): only the
    inbound log records it."""
    outcome = ReceiveOutcome(
        status_code=status_code,
        body={"error": error, "detail": reason},
        reason=reason,
        headers=extra_headers or {},
    )
    log_inbound(
        integration=integration,
        endpoint=endpoint,
        headers=headers,
        payload={},
        outcome=outcome,
        started=started,
    )
    return outcome


def _store(
    *,
    integration: Integration,
    fields: dict[str, Any],
    log: Callable[[Webhook, bool], IntegrationLog | None] | None = None,
    background: bool = False,
) -> tuple[Webhook, bool]:
    """Insert the row (and its inbound log, in the same transaction); ``(original, True)`` when
    the database says it is a duplicate delivery.

    The partial unique index on (integration, external_id) decides, not a prior SELECT: two
    identical deliveries arriving together both try to insert, one wins, the other reads it.
    ``log(webhook, duplicate)`` returns the unsaved log of a new row, and writes the log itself
    for a duplicate. The row is stamped ``enqueued_at`` as it is inserted and its message sent
    right after the commit; a message that cannot be sent clears the stamp, so the sweeper sends
    it (see ``webhook_enqueue``). A 2xx still means a committed row, and its log with it.

    The kept integration's statement (``receive_kept``) writes the same rows in one statement.
    ``background``: the message goes through the process's batching sender.
    """
    webhook = Webhook(integration=integration, enqueued_at=timezone.now(), **fields)
    try:
        entry = log(webhook, False) if log is not None else None
        with transaction.atomic():
            webhook.save(force_insert=True)
            if entry is not None:
                entry.save(force_insert=True)
        transaction.on_commit(
            lambda: webhook_enqueue(webhook_id=webhook.id, stamped=True, background=background)
        )
        return webhook, False
    except IntegrityError:
        original = delivery_original(integration.pk, fields.get("external_id"))
        if original is None or not fields.get("external_id"):
            raise
        if log is not None:
            log(original, True)
        return original, True


def delivery_original(integration_id: Any, external_id: str | None) -> Webhook | None:
    """The stored (not refused) webhook a duplicate delivery repeats, if it is still there."""
    if not external_id:
        return None
    return Webhook.objects.filter(
        integration_id=integration_id, external_id=external_id, rejected=False
    ).first()


def delivery_verdict(
    *,
    scheme: SignatureScheme,
    config: IntegrationConfig,
    request: InboundRequest,
    secrets: list[str],
    valid_secrets: list[str],
) -> Verdict:
    """Step 2 of the contract, once per delivery: the columns the scheme reads and, when it
    refuses the signature, why. ``secrets``: all of the integration's (none is stored in the
    signature column); ``valid_secrets``: the ones that verify now."""
    fields: dict[str, Any] = {}
    try:
        # Kept for the record and served by the API: a sender that puts the secret itself in
        # the header (a token, not a signature) must not have it stored.
        fields["signature"] = redact(scheme.signature(request, config), secrets=secrets)
        fields["external_id"] = cut_text(scheme.external_id(request, config))
        fields["event_type"] = cut_text(scheme.event_type(request, config)) or "unknown"
        if scheme.requires_secret and not valid_secrets:
            raise SignatureError(f"no webhook secret is set for the {scheme.name} scheme")
        scheme.verify(request, secrets=valid_secrets, config=config)
    except SignatureError as error:
        return Verdict(fields=fields, refusal=error, verified=False)
    return Verdict(fields=fields, refusal=None, verified=scheme.requires_secret)


def fresh_verdict(
    *, integration: Integration, request: InboundRequest, secrets: list[str]
) -> Verdict:
    """``delivery_verdict`` with the scheme of an integration just read (an unknown scheme
    refuses the delivery)."""
    try:
        scheme = scheme_for(integration)
    except SignatureError as error:
        return Verdict(fields={}, refusal=error, verified=False)
    return delivery_verdict(
        scheme=scheme,
        config=integration.typed_config,
        request=request,
        secrets=secrets,
        valid_secrets=verification_secrets(integration),
    )


def receive_fresh(
    *,
    integration: Integration,
    request: InboundRequest,
    verdict: Verdict,
    secrets: list[str],
    endpoint: str,
    started: float,
) -> ReceiveOutcome:
    """Steps 2 to 4 of the contract through the ORM, for an integration just read: the
    delivery refused (stored rejected, 401) or stored as pending (committed on return, with the
    processing message sent right after the commit), or answered as a duplicate."""
    payload = request.payload
    stored_headers = scrub_values(request.headers, secrets)
    common: dict[str, Any] = {
        "source": integration.provider,
        "payload": payload,
        "headers": stored_headers,
        "max_retries": integration.typed_config.max_retries,
        **verdict.fields,
    }
    if verdict.refusal is not None:
        reason = f"invalid signature: {verdict.refusal}"
        with transaction.atomic():
            webhook = Webhook.objects.create(
                integration=integration,
                **common,
                status=WebhookStatus.IGNORED,
                signature_verified=False,
                rejected=True,
                error_message=reason,
            )
            outcome = ReceiveOutcome(
                status_code=401,
                body={
                    "error": "invalid_signature",
                    "detail": str(verdict.refusal),
                    "id": str(webhook.id),
                },
                webhook=webhook,
                reason=reason,
            )
            log_inbound(
                integration=integration,
                endpoint=endpoint,
                headers=stored_headers,
                payload=payload,
                outcome=outcome,
                started=started,
                secrets=secrets,
            )
        return outcome

    common["signature_verified"] = verdict.verified
    common["metadata"] = {"signature_scheme": scheme_name_for(integration)}
    outcomes: list[ReceiveOutcome] = []

    def answer_and_log(webhook: Webhook, duplicate: bool) -> IntegrationLog | None:
        answer: dict[str, Any] = {"id": str(webhook.id), "status": webhook.status}
        if duplicate:
            answer["duplicate"] = True
        outcome = ReceiveOutcome(
            status_code=200 if duplicate else 202, body=answer, webhook=webhook
        )
        outcomes.append(outcome)
        entry = log_inbound(
            integration=integration,
            endpoint=endpoint,
            headers=stored_headers,
            payload=payload,
            outcome=outcome,
            started=started,
            secrets=secrets,
            build=not duplicate,
        )
        return None if duplicate else entry

    _store(
        integration=integration,
        fields={**common, "status": WebhookStatus.PENDING},
        log=answer_and_log,
        background=True,
    )
    return outcomes[-1]


def webhook_emit(
    *,
    integration: Integration,
    event_type: str,
    payload: dict[str, Any],
    external_id: str | None = None,
) -> Webhook:
    """Put an event the hub itself produced (a payment state change) into the same pipeline, so
    handlers and ``forward_url`` see it like any received webhook. Idempotent on ``external_id``."""
    webhook, _ = _store(
        integration=integration,
        fields={
            "source": integration.provider,
            "event_type": event_type,
            "external_id": cut_text(external_id),
            "payload": payload,
            "status": WebhookStatus.PENDING,
            "signature_verified": True,
            "max_retries": integration.typed_config.max_retries,
            "metadata": {"emitted": True},
        },
    )
    return webhook


def cut_text(value: str | None, limit: int = 255) -> str | None:
    """A header-borne id or event type cut to its column's length."""
    return value[:limit] if value else value
