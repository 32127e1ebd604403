"""Recording alerts, and sending them through the channels.

Recording (``alert_record``) runs inside the caller's transaction and only writes: for each
channel that wants the event (``config.alerts``, read through ``AlertsSpec``) it adds the event
to that channel's pending alert of the same (event, integration), or opens one. A pending alert
is due once no new event came for ``ALERT_QUIET_SECONDS`` (at the latest
``ALERT_MAX_WAIT_SECONDS`` after its first event), and never before the cooldown since the
previous alert of its group ended (``not_before``): a burst of 200 failures is one message that
says 200, and what comes during the cooldown is the next message's count.

Sending (``alerts_send_due``) is Celery's: woken on commit, and swept by beat. Each alert is
claimed (``sending`` with a lease, so two workers never send it twice), sent, and recorded
``sent``; a channel that fails is tried again with backoff (its own ``retry_after`` first) and
recorded ``failed`` with the reason after ``ALERT_SEND_ATTEMPTS``. Each channel's alerts go in a
task of their own, so a channel that is down delays no other.

``worker.down`` and ``beat.down`` are watched from the other process (beat watches the worker,
the worker watches beat, each from a thread that also sends due alerts while the other is down);
``backlog`` by the webhooks app's beat check. Each is a condition (``condition_record``): alerted
when it begins, not on every look while it lasts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest, Least
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.config import ALERT_EVENTS, AlertsSpec
from integrations.heartbeats import beat_freshness, worker_freshness
from integrations.http import IntegrationHttpClient
from integrations.models import (
    Alert,
    AlertCondition,
    AlertEvent,
    AlertStatus,
    Integration,
    IntegrationStatus,
)
from integrations.providers.base import ChannelError
from integrations.redaction import redact, redact_url_credentials
from integrations.services import integration_secret_values

logger = logging.getLogger(__name__)

# How long a sender holds an alert while it talks to the channel; an alert whose sender died
# is taken up again after it.
SEND_LEASE = timedelta(minutes=5)
# CONTRACT: worker.down and beat.down when the heartbeat is older than this; backlog when
# webhooks wait in pending longer than BACKLOG_AFTER.
HEARTBEAT_DOWN_AFTER = timedelta(minutes=2)
BACKLOG_AFTER = timedelta(minutes=5)
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


def _heartbeat_down(last_seen_at: datetime | None) -> bool:
    # A hub that never saw one (a fresh install still starting) is not "down".
    return last_seen_at is not None and timezone.now() - last_seen_at > HEARTBEAT_DOWN_AFTER


def alerts_check_heartbeats(*, worker: bool = True, beat: bool = True) -> dict[str, bool]:
    """Look at the worker's and beat's heartbeats; alert ``worker.down``/``beat.down`` when one
    turns older than two minutes. Returns which ones are down."""
    down: dict[str, bool] = {}
    for name, wanted, freshness, event in (
        ("worker", worker, worker_freshness, AlertEvent.WORKER_DOWN),
        ("beat", beat, beat_freshness, AlertEvent.BEAT_DOWN),
    ):
        if not wanted:
            continue
        last_seen_at = freshness().last_seen_at
        is_down = _heartbeat_down(last_seen_at)
        age = int((timezone.now() - last_seen_at).total_seconds()) if last_seen_at else None
        condition_record(
            key=event.value,
            active=is_down,
            event=event.value,
            detail=f"last heartbeat {age} s ago" if age is not None else "",
        )
        down[name] = is_down
    return down


def alerts_watch(*, watch: str) -> None:
    """The tick of a watching thread: beat watches the worker (``watch="worker"``) and the
    worker watches beat. While the other one is down, the alerts are sent from here: the
    worker cannot send them, or beat no longer sweeps."""
    down = alerts_check_heartbeats(worker=watch == "worker", beat=watch == "beat")
    if down.get(watch):
        if watch == "worker":
            _checks_while_worker_down()
        alerts_send_due()


# Periodic alert checks that beat sends to the worker as tasks: while the worker is down they
# would never run, so beat's watching thread runs them itself. A stopped worker is the usual
# cause of a backlog, which must still be told (CONTRACT: webhooks pending for more than 5
# minutes). Dotted paths: the apps that own the checks sit above this one.
WORKER_DOWN_CHECKS = ("webhooks.services.backlog.webhook_backlog_check",)


def _checks_while_worker_down() -> None:
    for path in WORKER_DOWN_CHECKS:
        try:
            import_string(path)()
        except Exception:  # one check that fails stops neither the others nor the sending
            logger.warning("alert check %s failed", path, exc_info=True)


def _event_phrase(event: str, count: int) -> str:
    many = count != 1
    phrases = {
        AlertEvent.WEBHOOK_FAILED: f"{count} webhook{'s' if many else ''} reached failed",
        AlertEvent.SYNC_JOB_FAILED: f"{count} sync job{'s' if many else ''} failed",
        AlertEvent.INTEGRATION_FAILING: (
            f"the integration is failing ({count} failure{'s' if many else ''})"
        ),
        AlertEvent.INTEGRATION_RECOVERED: "the integration recovered",
        AlertEvent.FISCAL_RECEIPT_FAILED: f"{count} fiscal receipt{'s' if many else ''} failed",
        AlertEvent.WORKER_DOWN: "no Celery worker heartbeat for more than 2 minutes",
        AlertEvent.BEAT_DOWN: "no beat heartbeat for more than 2 minutes",
        AlertEvent.BACKLOG: (
            f"{count} webhook{'s' if many else ''} pending for more than 5 minutes"
        ),
    }
    return phrases.get(AlertEvent(event), event)


def _admin_link(alert: Alert) -> str:
    """Where in the admin the operator looks: the failed webhooks or jobs of the integration,
    the integration itself, or the dashboard."""
    base: str = settings.HUB_PUBLIC_URL
    integration_id = alert.integration_id
    try:
        if alert.event in (AlertEvent.WEBHOOK_FAILED, AlertEvent.BACKLOG):
            status = "failed" if alert.event == AlertEvent.WEBHOOK_FAILED else "pending"
            query = f"?status__exact={status}"
            if integration_id:
                query += f"&integration__id__exact={integration_id}"
            return base + reverse("admin:webhooks_webhook_changelist") + query
        if alert.event == AlertEvent.SYNC_JOB_FAILED and integration_id:
            return (
                base
                + reverse("admin:syncjobs_syncjob_changelist")
                + f"?status__exact=failed&integration__id__exact={integration_id}"
            )
        if integration_id:
            return base + reverse("admin:integrations_integration_change", args=[integration_id])
        return base + reverse("admin:index")
    except NoReverseMatch:
        return base + "/admin/"


def alert_message(alert: Alert, integration: Integration | None) -> tuple[str, str]:
    """(subject, text) of an alert: the event, the integration, the count, the latest detail
    and a link into the admin."""
    if integration is not None:
        who = f"{integration.name} ({integration.code})"
        short = integration.code
    else:
        who = "the hub itself"
        short = "hub"
    since = timezone.localtime(alert.first_event_at, timezone.get_fixed_timezone(0))
    lines = [
        f"VendHub alert: {alert.event}",
        f"Integration: {who}",
        f"Count: {alert.count} since {since:%Y-%m-%d %H:%M:%S} UTC",
        f"What happened: {_event_phrase(alert.event, alert.count)}.",
    ]
    if alert.detail:
        lines.append(f"Latest: {alert.detail}")
    lines.append(f"Admin: {_admin_link(alert)}")
    subject = f"[VendHub] {alert.event}: {short} ({alert.count})"
    return subject, "\n".join(lines)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _claim(channel_id: Any) -> Alert | None:
    now = timezone.now()
    due = Q(status=AlertStatus.PENDING, due_at__lte=now) | Q(
        status=AlertStatus.SENDING, locked_until__lt=now
    )
    queryset = Alert.objects.filter(due)
    if channel_id is not None:
        queryset = queryset.filter(channel_id=channel_id)
    with transaction.atomic():
        alert = queryset.select_for_update(skip_locked=True).order_by("due_at").first()
        if alert is None:
            return None
        alert.status = AlertStatus.SENDING
        alert.locked_until = now + SEND_LEASE
        Alert.objects.filter(pk=alert.pk).update(
            status=alert.status, locked_until=alert.locked_until, updated_at=now
        )
    return alert


def alerts_send_due(*, channel_id: Any = None, limit: int = 100) -> SendReport:
    """Send the alerts that are due (of one channel, or all), one at a time."""
    report = SendReport()
    for _ in range(limit):
        alert = _claim(channel_id)
        if alert is None:
            break
        outcome = alert_send(alert=alert)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def alert_channels_due() -> list[Any]:
    """The channels that have alerts due now (for the sweep's one task per channel)."""
    now = timezone.now()
    due = Q(status=AlertStatus.PENDING, due_at__lte=now) | Q(
        status=AlertStatus.SENDING, locked_until__lt=now
    )
    return list(Alert.objects.filter(due).values_list("channel_id", flat=True).distinct())


def alert_send(*, alert: Alert) -> str:
    """Send one claimed alert; ``"sent"``, ``"retrying"`` or ``"failed"``."""
    from integrations.providers import channel_for

    channel = Integration.all_objects.get(pk=alert.channel_id)
    integration = (
        Integration.all_objects.filter(pk=alert.integration_id).first()
        if alert.integration_id
        else None
    )
    subject, text = alert_message(alert, integration)
    provider = channel_for(channel)
    error: ChannelError | None = None
    final = False
    if channel.is_deleted or channel.status == IntegrationStatus.INACTIVE or provider is None:
        error, final = ChannelError("the channel is deleted, inactive or no channel"), True
    else:
        client = IntegrationHttpClient(
            channel, retries=0, log_metadata={"alert_id": str(alert.pk), "event": alert.event}
        )
        try:
            provider.send_message(channel, client, subject=subject, text=text)
        except ChannelError as failure:
            error = failure
        except Exception as failure:  # a bug in a channel must not stop the others
            logger.exception("alert channel %s raised", channel.code)
            error = ChannelError(f"{type(failure).__name__}: {failure}")
    now = timezone.now()
    attempts = alert.attempts + 1
    claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.SENDING)
    if error is None:
        claimed.update(
            status=AlertStatus.SENT,
            sent_at=now,
            message=text,
            error_message=None,
            attempts=attempts,
            locked_until=None,
            updated_at=now,
        )
        return "sent"
    reason = redact_url_credentials(redact(str(error), secrets=integration_secret_values(channel)))
    if final or error.permanent or attempts >= settings.ALERT_SEND_ATTEMPTS:
        claimed.update(
            status=AlertStatus.FAILED,
            message=text,
            error_message=f"{reason} (gave up after {attempts} attempt{'s' * (attempts > 1)})",
            attempts=attempts,
            locked_until=None,
            updated_at=now,
        )
        logger.warning("alert %s to %s failed: %s", alert.event, channel.code, reason)
        return "failed"
    delay = error.retry_after
    if delay is None:
        delay = settings.ALERT_RETRY_BASE_SECONDS * (2 ** (attempts - 1))
    retry = {
        "message": text,
        "error_message": reason,
        "attempts": attempts,
        "locked_until": None,
        "due_at": now + timedelta(seconds=max(0.0, float(delay))),
        "updated_at": now,
    }
    try:
        with transaction.atomic():
            claimed.update(status=AlertStatus.PENDING, **retry)
    except IntegrityError:
        # Events came meanwhile and opened the group's next alert: this one's count goes
        # with it, tried when that one is due.
        Alert.objects.filter(
            channel_id=alert.channel_id, group_key=alert.group_key, status=AlertStatus.PENDING
        ).update(count=F("count") + alert.count, first_event_at=alert.first_event_at)
        claimed.update(
            status=AlertStatus.FAILED,
            message=text,
            error_message=f"{reason} (its {alert.count} event(s) go with the next alert)",
            attempts=attempts,
            locked_until=None,
            updated_at=now,
        )
        return "failed"
    return "retrying"
