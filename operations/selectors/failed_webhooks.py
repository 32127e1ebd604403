"""Failed webhooks on the dashboard: how many there are (counted up to a cap), and the newest of
them grouped by integration and error, each group one line with one "Retry all". Both read off
the ``(status, -created_at)`` index, bounded however many pile up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from webhooks.models import Webhook, WebhookStatus

FAILED_WEBHOOKS_SHOWN = 20
# Failed webhooks are counted up to this many (then shown as "10000+"): the count stays bounded
# however many pile up.
FAILED_COUNT_CAP = 10_000


def failed_webhook_count() -> int:
    """How many webhooks are failed, counted up to ``FAILED_COUNT_CAP + 1`` (the
    ``(status, -created_at)`` index)."""
    return (
        Webhook.objects.filter(status=WebhookStatus.FAILED)
        .order_by()[: FAILED_COUNT_CAP + 1]
        .count()
    )


# The failed webhooks grouped on the dashboard are the newest this many: a bounded read, however
# many have piled up (failed_webhook_count counts all of them).
FAILED_GROUP_WINDOW = 1000


@dataclass
class FailedWebhookGroup:
    """Failed webhooks of one integration with one error: one row and one "Retry all"."""

    integration_id: Any
    integration_code: str | None
    error_message: str
    count: int
    newest_id: Any
    newest_at: datetime
    tries: int
    event_types: list[str]


def failed_webhook_groups(
    *, limit: int = FAILED_WEBHOOKS_SHOWN, window: int = FAILED_GROUP_WINDOW
) -> list[FailedWebhookGroup]:
    """The newest ``window`` failed webhooks grouped by (integration, error), newest group
    first: 20 webhooks that failed alike are one line with their count, not 20 lines."""
    rows = (
        Webhook.objects.filter(status=WebhookStatus.FAILED)
        .order_by("-created_at")
        .values(
            "id",
            "integration_id",
            "integration__code",
            "error_message",
            "event_type",
            "attempt_count",
            "created_at",
        )[:window]
    )
    groups: dict[tuple[Any, str], FailedWebhookGroup] = {}
    for row in rows:
        key = (row["integration_id"], row["error_message"] or "")
        group = groups.get(key)
        if group is None:
            if len(groups) >= limit:
                continue
            group = groups[key] = FailedWebhookGroup(
                integration_id=row["integration_id"],
                integration_code=row["integration__code"],
                error_message=row["error_message"] or "",
                count=0,
                newest_id=row["id"],
                newest_at=row["created_at"],
                tries=row["attempt_count"],
                event_types=[],
            )
        group.count += 1
        if row["event_type"] not in group.event_types:
            group.event_types.append(row["event_type"])
    return list(groups.values())
