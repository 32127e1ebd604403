"""Alerts to operators: the events, one Alert per message to a channel, a channel's kept login
token, and the lasting conditions a sweep watches (see ``integrations.alerts``)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from integrations.config import ALERT_EVENTS
from integrations.fields import EncryptedTextField
from integrations.models.integration import Integration


class AlertEvent(models.TextChoices):
    WEBHOOK_FAILED = "webhook.failed", "A webhook reached failed"
    SYNC_JOB_FAILED = "sync_job.failed", "A sync job failed"
    INTEGRATION_FAILING = "integration.failing", "An integration is failing"
    INTEGRATION_RECOVERED = "integration.recovered", "An integration recovered"
    FISCAL_RECEIPT_FAILED = "fiscal_receipt.failed", "A fiscal receipt failed"
    WORKER_DOWN = "worker.down", "No worker heartbeat"
    BEAT_DOWN = "beat.down", "No beat heartbeat"
    BACKLOG = "backlog", "Webhooks pending for more than 5 minutes"


if tuple(AlertEvent.values) != ALERT_EVENTS:
    raise ImportError("integrations.models.alerts: AlertEvent must list config.ALERT_EVENTS")


class AlertStatus(models.TextChoices):
    # Gathering events until it is due, or waiting for the channel's next try.
    PENDING = "pending", "Pending"
    # Claimed by a sender talking to the channel now.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Alert(models.Model):
    """One message to one channel about one (event, integration): the events of a cooldown
    window gathered (``count``), sent by the worker (``integrations.alerts``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="channel_alerts", db_index=False
    )
    event = models.CharField(max_length=32, choices=AlertEvent.choices)
    integration = models.ForeignKey(
        Integration,
        on_delete=models.PROTECT,
        related_name="alerts",
        null=True,
        blank=True,
        db_index=False,
    )
    # "<event>:<integration id or ->": one pending alert per channel and group.
    group_key = models.CharField(max_length=80, editable=False)
    count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    # What the latest event said (a webhook's error, a job's reason): quoted in the message.
    detail = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=16, choices=AlertStatus.choices, default=AlertStatus.PENDING
    )
    error_message = models.TextField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    # Not sent before this (the previous message's cooldown), and due at ``due_at``.
    not_before = models.DateTimeField()
    due_at = models.DateTimeField()
    # A sender's claim while it talks to the channel.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "alerts"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "group_key"],
                condition=Q(status="pending"),
                name="alerts_one_pending_per_group",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="alerts_pending_due_idx", condition=Q(status="pending")
            ),
            models.Index(fields=["channel", "group_key", "-created_at"], name="alerts_group_idx"),
            models.Index(fields=["event"], name="alerts_event_idx"),
            models.Index(fields=["status"], name="alerts_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} ×{self.count} to {self.channel_id} ({self.status})"


class ChannelToken(models.Model):
    """A token a channel logged in for (Eskiz's JWT), kept between sends: a credential, so
    encrypted at rest like the integration's own secrets."""

    integration = models.OneToOneField(
        Integration, on_delete=models.CASCADE, primary_key=True, related_name="channel_token"
    )
    token = EncryptedTextField(null=True)
    obtained_at = models.DateTimeField()

    class Meta:
        db_table = "channel_tokens"

    def __str__(self) -> str:
        return f"token of {self.integration_id} from {self.obtained_at:%Y-%m-%d %H:%M:%S}"


class AlertCondition(models.Model):
    """A lasting condition a sweep watches (no worker, no beat, a backlog): alerted once when it
    begins, not again on every sweep while it lasts."""

    key = models.CharField(max_length=80, primary_key=True)
    active = models.BooleanField(default=False)
    changed_at = models.DateTimeField()

    class Meta:
        db_table = "alert_conditions"

    def __str__(self) -> str:
        return f"{self.key}: {'on' if self.active else 'off'}"
