"""Manual retry: put failed (or ignored, not rejected) webhooks back to pending, one or many; the
one path of the API, the admin and the ``retry_webhooks`` command.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from webhooks.models import Webhook, WebhookStatus
from webhooks.services.enqueue import webhook_enqueue


class WebhookNotRetryable(Exception):
    """Only failed webhooks, and ignored ones not refused at receipt, can be retried."""


def _retryable() -> Q:
    return Q(status=WebhookStatus.FAILED) | Q(status=WebhookStatus.IGNORED, rejected=False)


def webhook_is_retryable(webhook: Webhook) -> bool:
    """``_retryable`` for a webhook in hand: failed, or ignored and not refused at receipt."""
    return webhook.status == WebhookStatus.FAILED or (
        webhook.status == WebhookStatus.IGNORED and not webhook.rejected
    )


def put_back_pending(
    webhook: Webhook, *, allowed: Q, rule: str, refusal: type[Exception]
) -> Webhook:
    """Put ``webhook`` back to ``pending`` with a fresh set of retries when it matches
    ``allowed``, and send it to a worker once committed; else raise ``refusal`` saying why
    (refused for its signature, or ``rule`` and its status). Retry and replay both go here."""
    with transaction.atomic():
        updated = (
            Webhook.objects.filter(pk=webhook.pk)
            .filter(allowed)
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
                raise refusal("This webhook was refused for its signature and is never processed.")
            raise refusal(f"{rule}; this one is {webhook.status}.")
        transaction.on_commit(lambda: webhook_enqueue(webhook_id=webhook.pk))
    webhook.refresh_from_db()
    return webhook


def webhook_retry(*, webhook: Webhook) -> Webhook:
    """Put a failed (or ignored, not rejected) webhook back to ``pending`` with a fresh set of
    retries, and send it to a worker once committed. The one path of the API, admin and command."""
    return put_back_pending(
        webhook,
        allowed=_retryable(),
        rule="Only failed or ignored webhooks can be retried",
        refusal=WebhookNotRetryable,
    )


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
