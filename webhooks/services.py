"""Writes on webhooks: receive, process, retry, sweep, and the webhook secret's rotation.

The database row is the truth and the queue only a wake-up call. A delivery is committed before
the sender gets its 2xx; the message that asks a worker to process it is sent after the commit,
and when that message is lost (broker down, worker killed) the sweeper sends another. Every
status change is a conditional update, so two workers can never both process one webhook (see
the transition table in ``webhooks.models``).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations.http import timeout_seconds
from integrations.models import Integration, LogDirection
from integrations.redaction import redact
from integrations.services import integration_log_create, integration_secret_values
from webhooks.forwarding import ForwardError, webhook_forward
from webhooks.handlers import handlers_for
from webhooks.inbound import scrub_values
from webhooks.lease import LeaseKeeper
from webhooks.models import Webhook, WebhookStatus
from webhooks.signatures import (
    InboundRequest,
    SignatureError,
    scheme_for,
    scheme_name_for,
    verification_secrets,
)

logger = logging.getLogger(__name__)

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
_broker_paused_until = 0.0


# --- Receiving ---------------------------------------------------------------------------------


@dataclass
class ReceiveOutcome:
    """What the receive URL answers: ``status_code`` and ``body``, and the row when one exists."""

    status_code: int
    body: dict[str, Any]
    webhook: Webhook | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


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


def _log_inbound(
    *,
    integration: Integration,
    endpoint: str,
    headers: dict[str, str],
    payload: Any,
    outcome: ReceiveOutcome,
    started: float,
    secrets: list[str] | None = None,
) -> None:
    integration_log_create(
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
    _log_inbound(
        integration=integration,
        endpoint=endpoint,
        headers=headers,
        payload={},
        outcome=outcome,
        started=started,
    )
    return outcome


def _store(*, integration: Integration, fields: dict[str, Any]) -> tuple[Webhook, bool]:
    """Insert the row; ``(original, True)`` when the database says it is a duplicate delivery.

    The partial unique index on (integration, external_id) decides, not a prior SELECT: two
    identical deliveries arriving together both try to insert, one wins, the other reads it.
    """
    try:
        with transaction.atomic():
            webhook = Webhook.objects.create(integration=integration, **fields)
            transaction.on_commit(lambda: webhook_enqueue(webhook_id=webhook.id))
        return webhook, False
    except IntegrityError:
        original = Webhook.objects.filter(
            integration=integration, external_id=fields.get("external_id"), rejected=False
        ).first()
        if original is None or not fields.get("external_id"):
            raise
        return original, True


def webhook_receive(
    *,
    integration: Integration,
    body: bytes,
    headers: dict[str, str],
    payload: Any,
    endpoint: str,
    started: float | None = None,
) -> ReceiveOutcome:
    """Steps 2 to 4 of the contract: verify, deduplicate, store as pending (committed on return,
    with the processing message sent right after the commit)."""
    started = time.monotonic() if started is None else started
    config = _config(integration)
    secrets = integration_secret_values(integration)
    stored_headers = scrub_values(headers, secrets)
    request = InboundRequest(body=body, headers=headers, payload=payload)
    common: dict[str, Any] = {
        "source": integration.provider,
        "payload": payload,
        "headers": stored_headers,
        "max_retries": max_retries_for(integration),
    }
    try:
        scheme = scheme_for(integration)
        # Kept for the record and served by the API: a sender that puts the secret itself in
        # the header (a token, not a signature) must not have it stored.
        common["signature"] = redact(scheme.signature(request, config), secrets=secrets)
        common["external_id"] = _cut(scheme.external_id(request, config))
        common["event_type"] = _cut(scheme.event_type(request, config)) or "unknown"
        valid_secrets = verification_secrets(integration)
        if scheme.requires_secret and not valid_secrets:
            raise SignatureError(f"no webhook secret is set for the {scheme.name} scheme")
        scheme.verify(request, secrets=valid_secrets, config=config)
    except SignatureError as error:
        reason = f"invalid signature: {error}"
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
            body={"error": "invalid_signature", "detail": str(error), "id": str(webhook.id)},
            webhook=webhook,
            reason=reason,
        )
    else:
        common["signature_verified"] = scheme.requires_secret
        common["metadata"] = {"signature_scheme": scheme_name_for(integration)}
        webhook, duplicate = _store(
            integration=integration, fields={**common, "status": WebhookStatus.PENDING}
        )
        answer: dict[str, Any] = {"id": str(webhook.id), "status": webhook.status}
        if duplicate:
            answer["duplicate"] = True
        outcome = ReceiveOutcome(
            status_code=200 if duplicate else 202, body=answer, webhook=webhook
        )
    _log_inbound(
        integration=integration,
        endpoint=endpoint,
        headers=stored_headers,
        payload=payload,
        outcome=outcome,
        started=started,
        secrets=secrets,
    )
    return outcome


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
            "external_id": _cut(external_id),
            "payload": payload,
            "status": WebhookStatus.PENDING,
            "signature_verified": True,
            "max_retries": max_retries_for(integration),
            "metadata": {"emitted": True},
        },
    )
    return webhook


def _cut(value: str | None, limit: int = 255) -> str | None:
    return value[:limit] if value else value


# --- Enqueueing --------------------------------------------------------------------------------


def webhook_enqueue(*, webhook_id: Any, countdown: float = 0, force: bool = False) -> bool:
    """Send the wake-up message. A broker that is down is logged, never raised: the row is
    stored and the sweeper sends the message once the broker is back.

    After a failure this process stops trying for a short while (``force`` tries anyway): every
    try costs up to ``CELERY_BROKER_CONNECTION_TIMEOUT``, and during an outage the senders'
    requests should not each wait for it.
    """
    global _broker_paused_until
    from webhooks.tasks import process_webhook

    if not force and time.monotonic() < _broker_paused_until:
        logger.info("webhook %s stored; broker recently down, left to the sweeper", webhook_id)
        return False
    try:
        process_webhook.apply_async(args=[str(webhook_id)], countdown=countdown or None)
    except Exception as error:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "webhook %s stored but not enqueued (%s: %s); the sweeper will send it",
            webhook_id,
            type(error).__name__,
            error,
        )
        return False
    _broker_paused_until = 0.0
    Webhook.objects.filter(pk=webhook_id).update(
        enqueued_at=timezone.now() + timedelta(seconds=countdown)
    )
    return True


# --- Processing --------------------------------------------------------------------------------


def lease_seconds(integration: Integration | None) -> float:
    """How long a worker may hold a webhook: longer than a forward may take (``config.timeout``)
    plus time for the handlers; ``config.processing_lease_seconds`` overrides it."""
    if integration is None:
        return 300.0
    configured = _config(integration).get("processing_lease_seconds")
    if configured is not None:
        try:
            return max(1.0, float(configured))
        except (TypeError, ValueError):
            pass
    return max(300.0, timeout_seconds(integration) + 120.0)


def retry_delay_seconds(*, integration: Integration | None, retry_count: int) -> float:
    """``retry_backoff_seconds`` × 2^(retry_count − 1), ±20 % jitter, at most one hour."""
    base = (
        _number_config(integration, "retry_backoff_seconds", DEFAULT_RETRY_BACKOFF_SECONDS)
        if integration
        else DEFAULT_RETRY_BACKOFF_SECONDS
    )
    # Past 2^62 every positive base is over the cap; a larger power would not fit a float.
    delay = max(0.0, base) * (2 ** min(max(0, retry_count - 1), 62))
    return min(delay * random.uniform(0.8, 1.2), MAX_RETRY_DELAY_SECONDS)


def _claim(webhook_id: Any, *, lease: float) -> datetime | None:
    """Take the webhook if it is pending and due; the returned lease end is the claim's token."""
    now = timezone.now()
    until = now + timedelta(seconds=lease)
    claimed = (
        Webhook.objects.filter(pk=webhook_id, status=WebhookStatus.PENDING, rejected=False)
        .filter(Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now + _EARLY_CLAIM))
        .update(status=WebhookStatus.PROCESSING, locked_until=until, updated_at=now)
    )
    return until if claimed else None


def _finish(webhook: Webhook, token: datetime, **changes: Any) -> bool:
    """Record the outcome only while the claim still holds; a worker whose lease was taken back
    by the sweeper must not overwrite the newer owner's work."""
    changes.setdefault("updated_at", timezone.now())
    return bool(
        Webhook.objects.filter(
            pk=webhook.pk, status=WebhookStatus.PROCESSING, locked_until=token
        ).update(**changes)
    )


def _run(webhook: Webhook, integration: Integration | None) -> str | None:
    """Run the handlers and the forward; None when done, else why the webhook is ignored.
    Raises on failure."""
    provider = (integration.provider if integration else webhook.source) or ""
    handlers = handlers_for(provider=provider, event_type=webhook.event_type)
    forward_url = _config(integration).get("forward_url") if integration else None
    if not handlers and not forward_url:
        return (
            f"no handler for provider {provider!r} and event type {webhook.event_type!r}, "
            "and no config.forward_url"
        )
    for handler in handlers:
        handler(webhook)
    if forward_url and integration is not None:
        webhook_forward(webhook=webhook, integration=integration, url=str(forward_url))
    return None


def webhook_process(*, webhook_id: Any) -> str | None:
    """Process one webhook if this worker can claim it; return its new status (None when another
    worker has it, or it is not pending or not yet due)."""
    webhook = Webhook.objects.select_related("integration").filter(pk=webhook_id).first()
    if webhook is None:
        return None
    integration = webhook.integration
    lease = lease_seconds(integration)
    token = _claim(webhook.pk, lease=lease)
    if token is None:
        return None
    webhook.refresh_from_db()
    keeper = LeaseKeeper(
        webhook.pk, token, lease_seconds=lease, max_seconds=settings.CELERY_TASK_TIME_LIMIT
    )
    try:
        with keeper:
            ignored_reason = _run(webhook, integration)
    except Exception as error:
        return _record_failure(webhook, integration, keeper.token, error)
    token = keeper.token
    status = WebhookStatus.IGNORED if ignored_reason else WebhookStatus.COMPLETED
    _finish(
        webhook,
        token,
        status=status,
        error_message=ignored_reason,
        locked_until=None,
        next_retry_at=None,
        processed_at=timezone.now(),
    )
    return status


def _failure_message(error: Exception) -> str:
    if isinstance(error, ForwardError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _record_failure(
    webhook: Webhook, integration: Integration | None, token: datetime, error: Exception
) -> str:
    message = _failure_message(error)
    if integration is not None:
        message = _redact_secrets(message, integration)
    if not isinstance(error, ForwardError):
        logger.warning("webhook %s handler failed: %s", webhook.pk, message)
    if webhook.retry_count >= webhook.max_retries:
        _finish(
            webhook,
            token,
            status=WebhookStatus.FAILED,
            locked_until=None,
            next_retry_at=None,
            error_message=f"{message} (gave up after {webhook.retry_count + 1} attempts)",
        )
        return WebhookStatus.FAILED
    retry_count = webhook.retry_count + 1
    delay = retry_delay_seconds(integration=integration, retry_count=retry_count)
    if _finish(
        webhook,
        token,
        status=WebhookStatus.PENDING,
        locked_until=None,
        retry_count=retry_count,
        next_retry_at=timezone.now() + timedelta(seconds=delay),
        error_message=message,
        enqueued_at=None,
    ):
        webhook_enqueue(webhook_id=webhook.pk, countdown=delay)
    return WebhookStatus.PENDING


def _redact_secrets(text: str, integration: Integration) -> str:
    return redact(text, secrets=integration_secret_values(integration))


# --- Sweeping ----------------------------------------------------------------------------------


@dataclass
class SweepReport:
    enqueued: int = 0
    reclaimed: int = 0
    failed: int = 0


def webhook_sweep(*, limit: int = 500) -> SweepReport:
    """One pass of the beat sweeper.

    1. Reclaims ``processing`` webhooks whose lease expired (their worker died): the lost attempt
       counts as one try, so a webhook that kills its worker every time ends ``failed`` instead of
       looping; otherwise it goes back to ``pending``, due at once.
    2. Sends a message for every ``pending`` webhook that is due and whose message is missing (the
       broker was down when it was stored) or long overdue (presumed lost).
    """
    report = SweepReport()
    now = timezone.now()
    expired = Webhook.objects.filter(
        status=WebhookStatus.PROCESSING, locked_until__lt=now
    ).values_list("pk", "locked_until", "retry_count", "max_retries")[:limit]
    for webhook_id, locked_until, retry_count, max_retries in expired:
        lost = "the worker processing it stopped before finishing (lease expired)"
        base = Webhook.objects.filter(
            pk=webhook_id, status=WebhookStatus.PROCESSING, locked_until=locked_until
        )
        if retry_count >= max_retries:
            report.failed += base.update(
                status=WebhookStatus.FAILED,
                locked_until=None,
                next_retry_at=None,
                error_message=f"{lost}; gave up after {retry_count + 1} attempts",
                updated_at=now,
            )
        else:
            report.reclaimed += base.update(
                status=WebhookStatus.PENDING,
                locked_until=None,
                next_retry_at=now,
                retry_count=retry_count + 1,
                error_message=lost,
                enqueued_at=None,
                updated_at=now,
            )

    due = (
        Webhook.objects.filter(status=WebhookStatus.PENDING, rejected=False)
        .filter(Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))
        .filter(
            Q(
                enqueued_at__isnull=True,
                updated_at__lte=now - _ENQUEUE_GRACE,
            )
            | Q(enqueued_at__isnull=True, next_retry_at__isnull=False)
            | Q(enqueued_at__lte=now - _REQUEUE_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for webhook_id in list(due):
        if webhook_enqueue(webhook_id=webhook_id, force=True):
            report.enqueued += 1
        else:
            break
    if report.enqueued or report.reclaimed or report.failed:
        logger.info(
            "webhook sweep: %d enqueued, %d reclaimed, %d failed after a lost worker",
            report.enqueued,
            report.reclaimed,
            report.failed,
        )
    return report


# --- Manual retry ------------------------------------------------------------------------------


class WebhookNotRetryable(Exception):
    """Only failed webhooks, and ignored ones not refused at receipt, can be retried."""


def _retryable() -> Q:
    return Q(status=WebhookStatus.FAILED) | Q(status=WebhookStatus.IGNORED, rejected=False)


def webhook_is_retryable(webhook: Webhook) -> bool:
    """``_retryable`` for a webhook in hand: failed, or ignored and not refused at receipt."""
    return webhook.status == WebhookStatus.FAILED or (
        webhook.status == WebhookStatus.IGNORED and not webhook.rejected
    )


def webhook_retry(*, webhook: Webhook) -> Webhook:
    """Put a failed (or ignored, not rejected) webhook back to ``pending`` with a fresh set of
    retries, and send it to a worker once committed. The one path of the API, admin and command."""
    with transaction.atomic():
        updated = (
            Webhook.objects.filter(pk=webhook.pk)
            .filter(_retryable())
            .update(
                status=WebhookStatus.PENDING,
                retry_count=0,
                next_retry_at=None,
                locked_until=None,
                processed_at=None,
                enqueued_at=None,
                updated_at=timezone.now(),
            )
        )
        if not updated:
            webhook.refresh_from_db()
            if webhook.rejected:
                raise WebhookNotRetryable(
                    "This webhook was refused for its signature and is never processed."
                )
            raise WebhookNotRetryable(
                f"Only failed or ignored webhooks can be retried; this one is {webhook.status}."
            )
        transaction.on_commit(lambda: webhook_enqueue(webhook_id=webhook.pk))
    webhook.refresh_from_db()
    return webhook


@dataclass
class RetryReport:
    matched: int = 0
    retried: int = 0
    skipped: int = 0
    ids: list[str] = field(default_factory=list)


def webhook_retry_many(
    *, webhooks: QuerySet[Webhook] | Iterable[Webhook], dry_run: bool = False
) -> RetryReport:
    """``webhook_retry`` for each webhook; those that cannot be retried are counted as skipped.
    With ``dry_run`` nothing changes and ``retried`` counts what would be."""
    report = RetryReport()
    for webhook in webhooks:
        report.matched += 1
        if dry_run:
            if webhook_is_retryable(webhook):
                report.retried += 1
                report.ids.append(str(webhook.pk))
            else:
                report.skipped += 1
            continue
        try:
            webhook_retry(webhook=webhook)
        except WebhookNotRetryable:
            report.skipped += 1
            continue
        report.retried += 1
        report.ids.append(str(webhook.pk))
    return report


# --- Webhook secret rotation -------------------------------------------------------------------


@dataclass
class RotatedSecret:
    """The new secret (shown once, never stored in plaintext) and until when the old one works."""

    webhook_secret: str
    previous_webhook_secret_expires_at: datetime | None


def webhook_secret_rotate(
    *,
    integration: Integration,
    new_secret: str | None = None,
    overlap_hours: float = DEFAULT_SECRET_OVERLAP_HOURS,
) -> RotatedSecret:
    """Replace the webhook secret, keeping the current one valid for ``overlap_hours`` so senders
    can switch over without a refused delivery. Without ``new_secret`` one is generated in the
    shape the integration's scheme expects."""
    from webhooks.signatures import SignatureScheme

    with transaction.atomic():
        locked = Integration.all_objects.select_for_update().get(pk=integration.pk)
        if not new_secret:
            try:
                new_secret = scheme_for(locked).generate_secret()
            except SignatureError:
                new_secret = SignatureScheme().generate_secret()
        current = locked.webhook_secret
        config = dict(locked.config or {})
        expires_at: datetime | None = None
        if current and overlap_hours > 0:
            expires_at = timezone.now() + timedelta(hours=overlap_hours)
            locked.previous_webhook_secret = current
            config["previous_webhook_secret_expires_at"] = expires_at.isoformat()
        else:
            locked.previous_webhook_secret = None
            config.pop("previous_webhook_secret_expires_at", None)
        locked.webhook_secret = new_secret
        locked.config = config
        locked.save(
            update_fields=["webhook_secret", "previous_webhook_secret", "config", "updated_at"]
        )
    integration.refresh_from_db()
    logger.info(
        "webhook secret of integration %s rotated; previous valid until %s",
        integration.code,
        expires_at.isoformat() if expires_at else "-",
    )
    return RotatedSecret(webhook_secret=new_secret, previous_webhook_secret_expires_at=expires_at)
