"""Sending the alerts that are due: each one claimed (``sending`` with a lease, so two workers
never send it twice), sent through its channel's provider and recorded ``sent``; a channel that
fails is tried again with backoff and recorded ``failed`` after ``ALERT_SEND_ATTEMPTS``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.alerts.services.messages import alert_message
from integrations.http import IntegrationHttpClient
from integrations.models import Alert, AlertStatus, Integration, IntegrationStatus
from integrations.providers.base import ChannelError
from integrations.redaction import redact, redact_url_credentials
from integrations.selectors import integration_secret_values

logger = logging.getLogger(__name__)

# How long a sender holds an alert while it talks to the channel; an alert whose sender died
# is taken up again after it.
SEND_LEASE = timedelta(minutes=5)


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
