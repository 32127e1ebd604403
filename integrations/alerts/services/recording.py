"""Recording alerts (``alert_record``) and lasting conditions (``condition_record``): inside the
caller's transaction, rows only; each channel that wants the event gathers it into its pending
alert of the same (event, integration), and a worker is woken after the commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from integrations.config import ALERT_EVENTS, AlertsSpec
from integrations.models import Alert, AlertCondition, AlertStatus, Integration, IntegrationStatus
from integrations.redaction import redact, redact_url_credentials
from integrations.selectors import integration_secret_values

logger = logging.getLogger(__name__)

_DETAIL_CHARS = 500
_NO_INTEGRATION = "-"


def _channels() -> list[Integration]:
    from integrations.providers import channel_providers

    return list(
        Integration.objects.filter(provider__in=channel_providers()).exclude(
            status=IntegrationStatus.INACTIVE
        )
    )


def _clean_detail(detail: str, integration: Integration | None) -> str:
    text = str(detail or "")
    if integration is not None and text:
        text = redact(text, secrets=integration_secret_values(integration))
    text = redact_url_credentials(text)
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def alert_record(
    *, event: str, integration: Integration | None = None, detail: str = "", count: int = 1
) -> int:
    """Record that ``event`` happened (``count`` times) to ``integration`` (None: the hub
    itself), in the caller's transaction; the worker sends it after the commit. ``detail`` is
    quoted in the message (credentials of the integration are cut out of it). Returns how many
    channels will be told. A ValueError for an event that is not one of the contract's."""
    if event not in ALERT_EVENTS:
        raise ValueError(f"unknown alert event {event!r} (known: {', '.join(ALERT_EVENTS)})")
    if count < 1:
        return 0
    code = integration.code if integration is not None else None
    integration_id = integration.pk if integration is not None else None
    told = [
        (channel, spec)
        for channel in _channels()
        if (spec := channel.typed_config.alerts).wants(event, code)
    ]
    if not told:
        return 0
    detail = _clean_detail(detail, integration)
    now = timezone.now()
    opened: list[Any] = []
    with transaction.atomic():
        for channel, spec in told:
            if _add(channel, spec, event, integration_id, detail, count, now):
                opened.append(channel.pk)
    if opened:
        transaction.on_commit(lambda: _wake(opened))
    return len(told)


def _add(
    channel: Integration,
    spec: AlertsSpec,
    event: str,
    integration_id: Any,
    detail: str,
    count: int,
    now: datetime,
) -> bool:
    """Add the event to the channel's pending alert of its group; True when one was opened."""
    group_key = f"{event}:{integration_id or _NO_INTEGRATION}"
    pending = Alert.objects.filter(
        channel_id=channel.pk, group_key=group_key, status=AlertStatus.PENDING
    )
    quiet = timedelta(seconds=settings.ALERT_QUIET_SECONDS)
    max_wait = timedelta(seconds=settings.ALERT_MAX_WAIT_SECONDS)
    changes: dict[str, Any] = {
        "count": F("count") + count,
        "last_event_at": now,
        "updated_at": now,
        # Gathering: due after a quiet spell, bounded by the first event's max wait. Waiting
        # for a retry (tried before): the retry's time stands.
        "due_at": Case(
            When(
                attempts=0,
                then=Greatest(
                    F("not_before"), Least(F("first_event_at") + max_wait, Value(now + quiet))
                ),
            ),
            default=F("due_at"),
        ),
    }
    if detail:
        changes["detail"] = detail
    if pending.update(**changes):
        return False
    previous = (
        Alert.objects.filter(channel_id=channel.pk, group_key=group_key)
        .exclude(status=AlertStatus.PENDING)
        .order_by("-created_at")
        .values_list("created_at", "sent_at")
        .first()
    )
    not_before = now
    if previous is not None:
        window_start = previous[1] or previous[0]
        not_before = max(now, window_start + timedelta(minutes=spec.cooldown_minutes))
    try:
        with transaction.atomic():
            Alert.objects.create(
                channel_id=channel.pk,
                event=event,
                integration_id=integration_id,
                group_key=group_key,
                count=count,
                detail=detail,
                first_event_at=now,
                last_event_at=now,
                not_before=not_before,
                due_at=max(not_before, now + quiet),
            )
    except IntegrityError:
        # Another transaction opened it first: add to that one.
        pending.update(**changes)
        return False
    return True


def _wake(channel_ids: Iterable[Any]) -> None:
    """Ask a worker to send once the alerts are due; a broker that is down is logged, not
    raised: the beat sweep sends them anyway."""
    # Local: the tasks module imports this one (the service and its Celery task, the one
    # import circle allowed; pyproject.toml's import contracts).
    from integrations.tasks import alerts_send

    for channel_id in channel_ids:
        try:
            alerts_send.apply_async(
                kwargs={"channel_id": str(channel_id)},
                countdown=settings.ALERT_QUIET_SECONDS + 1,
            )
        except Exception as error:
            logger.warning("alert wake-up not sent (%s); the sweep sends it", type(error).__name__)


def condition_record(
    *,
    key: str,
    active: bool,
    event: str,
    integration: Integration | None = None,
    detail: str = "",
    count: int = 1,
) -> bool:
    """A lasting condition seen ``active`` or not; the alert is recorded when it begins. True
    when this call began it. Concurrent watchers (several beats or workers) alert once."""
    now = timezone.now()
    with transaction.atomic():
        AlertCondition.objects.get_or_create(key=key, defaults={"changed_at": now})
        row = AlertCondition.objects.select_for_update().get(key=key)
        if row.active == active:
            return False
        AlertCondition.objects.filter(key=key).update(active=active, changed_at=now)
        if active:
            alert_record(event=event, integration=integration, detail=detail, count=count)
    return active
