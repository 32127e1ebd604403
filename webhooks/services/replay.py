"""Replay: process a finished webhook again (handlers and forward), keeping its earlier attempts;
the one path of the API, the admin's button and its list action.

A replay is a retry that also takes ``completed`` webhooks: a receiving service that lost what
it was sent, or a handler fixed since, gets the delivery once more. Its tries are numbered after
the earlier ones, which stay, so the webhook's timeline tells the whole story.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from webhooks.models import Webhook, WebhookStatus
from webhooks.services.retry import put_back_pending

REPLAYABLE_STATUSES = (WebhookStatus.COMPLETED, WebhookStatus.FAILED, WebhookStatus.IGNORED)


class WebhookNotReplayable(Exception):
    """Only completed, failed and ignored webhooks not refused at receipt can be replayed."""


def _replayable() -> Q:
    return Q(status__in=REPLAYABLE_STATUSES, rejected=False)


def webhook_is_replayable(webhook: Webhook) -> bool:
    """``_replayable`` for a webhook in hand."""
    return webhook.status in REPLAYABLE_STATUSES and not webhook.rejected


def webhook_replay(*, webhook: Webhook) -> Webhook:
    """Put a completed, failed or ignored (not rejected) webhook back to ``pending`` with a fresh
    set of retries, and send it to a worker once committed. Its attempts and ``attempt_count``
    stay: the next try is numbered after them."""
    return put_back_pending(
        webhook,
        allowed=_replayable(),
        rule="Only completed, failed or ignored webhooks can be replayed",
        refusal=WebhookNotReplayable,
    )


@dataclass
class ReplayReport:
    replayed: int = 0
    skipped: int = 0
    ids: list[str] = field(default_factory=list)


def webhook_replay_many(*, webhooks: QuerySet[Webhook] | Iterable[Webhook]) -> ReplayReport:
    """``webhook_replay`` for each webhook; those that cannot be replayed are counted as skipped."""
    report = ReplayReport()
    for webhook in webhooks:
        try:
            webhook_replay(webhook=webhook)
        except WebhookNotReplayable:
            report.skipped += 1
            continue
        report.replayed += 1
        report.ids.append(str(webhook.pk))
    return report
