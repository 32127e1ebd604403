"""Integration (a connection to an outside system) and IntegrationLog (one call in or out)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.config import ALERT_EVENTS, IntegrationConfig, config_errors
from integrations.fields import EncryptedTextField, stored_values
from integrations.jsontext import json_contains_nul
from integrations.outbound import denied_url_reason

CODE_PATTERN = r"^[a-z0-9_-]{1,64}$"
code_validator = RegexValidator(
    CODE_PATTERN, "Use 1 to 64 characters: lowercase letters, digits, '_' and '-'."
)
SECRET_FIELDS = ("api_key", "api_secret", "webhook_secret")
DUPLICATE_CODE = "An integration with this code already exists."
# Where API clients see the previous webhook secret's expiry: in config (the contract's place).
EXPIRY_KEY = "previous_webhook_secret_expires_at"


class TimestampedModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IntegrationType(models.TextChoices):
    PAYMENT_GATEWAY = "payment_gateway", "Payment gateway"
    ERP = "erp", "ERP"
    ACCOUNTING = "accounting", "Accounting"
    CRM = "crm", "CRM"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    SHIPPING = "shipping", "Shipping"
    INVENTORY = "inventory", "Inventory"
    API = "api", "API"
    WEBHOOK = "webhook", "Webhook"


class IntegrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ERROR = "error", "Error"
    TESTING = "testing", "Testing"


class LiveIntegrationManager(models.Manager["Integration"]):
    """Integrations that are not soft-deleted."""

    def get_queryset(self) -> models.QuerySet[Integration]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Integration(TimestampedModel):
    name = models.CharField(max_length=255)
    code = models.CharField(max_length=64, validators=[code_validator])
    type = models.CharField(max_length=32, choices=IntegrationType.choices)
    provider = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=IntegrationStatus.choices, default=IntegrationStatus.TESTING
    )
    description = models.TextField(null=True, blank=True)
    api_endpoint = models.CharField(max_length=2048, null=True, blank=True)
    # null=True is the field's default too; spelled out so that mypy types these str | None.
    api_key = EncryptedTextField(null=True)
    api_secret = EncryptedTextField(null=True)
    webhook_url = models.CharField(max_length=2048, null=True, blank=True)
    webhook_secret = EncryptedTextField(null=True)
    # The secret being rotated out; it verifies until previous_webhook_secret_expires_at (shown
    # to API clients inside config, where the contract puts it).
    previous_webhook_secret = EncryptedTextField(null=True)
    previous_webhook_secret_expires_at = models.DateTimeField(null=True, blank=True)
    sync_interval_minutes = models.PositiveIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    auto_sync_enabled = models.BooleanField(default=False)
    config = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveIntegrationManager()
    all_objects = models.Manager()  # noqa: DJ012 (plain manager, for the admin and history)

    class Meta:
        db_table = "integrations"
        ordering = ["name", "code"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(deleted_at__isnull=True),
                name="integrations_code_unique_live",
                violation_error_message=DUPLICATE_CODE,
            ),
            models.CheckConstraint(
                condition=Q(code__regex=CODE_PATTERN), name="integrations_code_format"
            ),
        ]
        indexes = [
            models.Index(fields=["type"], name="integrations_type_idx"),
            models.Index(fields=["status"], name="integrations_status_idx"),
            models.Index(fields=["provider"], name="integrations_provider_idx"),
            models.Index(
                fields=["next_sync_at"],
                name="integrations_due_sync_idx",
                condition=Q(auto_sync_enabled=True, deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        """The rules of every integration write (the service runs them through ``full_clean``;
        the API and the admin report what they find, field by field)."""
        errors: dict[str, list[str]] = {}
        self.provider = (self.provider or "").strip().lower()
        if not self.provider:
            errors["provider"] = ["This field may not be blank."]
        if self.api_endpoint:
            try:
                parts = urlsplit(self.api_endpoint)
                parts.port  # noqa: B018 (raises ValueError for a port out of range)
                port_ok = True
            except ValueError:  # "http://[x", a port out of range: a 400, never a 500
                parts, port_ok = urlsplit(""), False
            if self.provider == "smtp":
                # An SMTP channel names its mail server (CONTRACT "Alerts").
                if not port_ok or parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                    errors["api_endpoint"] = ["Enter smtp://host:port or smtps://host:port."]
                elif reason := denied_url_reason(self.api_endpoint):
                    errors["api_endpoint"] = [f"Refused: {reason}."]
            elif not port_ok or parts.scheme not in ("http", "https") or not parts.netloc:
                errors["api_endpoint"] = ["Enter an absolute http:// or https:// URL."]
            elif reason := denied_url_reason(self.api_endpoint):
                errors["api_endpoint"] = [f"Refused: {reason}."]
        else:
            self.api_endpoint = None
        for name in ("config", "metadata"):
            value = getattr(self, name)
            if value is None:
                setattr(self, name, {})
            elif not isinstance(value, dict):
                # Everything downstream reads config and metadata as objects.
                errors[name] = ["Must be a JSON object."]
            elif json_contains_nul(value):
                # PostgreSQL's jsonb cannot store \u0000: without this the save is a 500.
                errors[name] = ["Null characters are not allowed."]
        if "config" not in errors and (wrong := config_errors(self.config)):
            errors["config"] = list(wrong.values())
        if self.code and Integration.objects.filter(code=self.code).exclude(pk=self.pk).exists():
            errors["code"] = [DUPLICATE_CODE]
        if errors:
            raise ValidationError(errors)

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        # Django copies every field from a fresh instance with getattr(): copy secrets as stored,
        # so a refresh neither decrypts them (a tampered one would raise) nor keeps plaintext.
        with stored_values():
            super().refresh_from_db(*args, **kwargs)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def has_secret(self, name: str) -> bool:
        """Whether a secret is set, answered without decrypting it."""
        field = self._meta.get_field(name)
        assert isinstance(field, EncryptedTextField)
        return field.is_set(self)

    @property
    def has_api_key(self) -> bool:
        return self.has_secret("api_key")

    @property
    def has_api_secret(self) -> bool:
        return self.has_secret("api_secret")

    @property
    def has_webhook_secret(self) -> bool:
        return self.has_secret("webhook_secret")

    @property
    def typed_config(self) -> IntegrationConfig:
        """``config`` read through ``IntegrationConfig``: typed, with the contract's defaults."""
        return IntegrationConfig.read(self.config)

    @property
    def default_webhook_url(self) -> str:
        return f"/api/webhooks/receive/{self.code}"


class LogDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class IntegrationLog(TimestampedModel):
    # Kept by Django, not by a database constraint, as ``Webhook.integration`` (the receive
    # writes a log beside every webhook).
    integration = models.ForeignKey(
        Integration,
        on_delete=models.PROTECT,
        related_name="logs",
        db_index=False,
        db_constraint=False,
    )
    action = models.CharField(max_length=64)
    direction = models.CharField(max_length=8, choices=LogDirection.choices)
    endpoint = models.CharField(max_length=2048, blank=True, default="")
    request_data = models.JSONField(default=dict, blank=True)
    response_data = models.JSONField(default=dict, blank=True)
    status_code = models.IntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error_message = models.TextField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "integration_logs"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["integration", "-created_at"], name="intlogs_integration_idx"),
            models.Index(fields=["direction"], name="intlogs_direction_idx"),
            models.Index(fields=["action"], name="intlogs_action_idx"),
            models.Index(fields=["status_code"], name="intlogs_status_code_idx"),
        ]

    def __str__(self) -> str:
        # The title of the log's admin page: a readable, bounded URL (1C's entity sets are
        # Cyrillic, percent-encoded three times longer) and "no answer" rather than "None".
        endpoint = unquote(self.endpoint or "")
        if len(endpoint) > 100:
            endpoint = endpoint[:99] + "…"
        status = self.status_code if self.status_code is not None else "no answer"
        return f"{self.direction} {self.action} {endpoint} ({status})"


class WorkerHeartbeat(models.Model):
    """When each Celery worker last ran a task sent to it: proof that the queue carries work."""

    hostname = models.CharField(max_length=255, primary_key=True)
    last_seen_at = models.DateTimeField()
    tasks_seen = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "worker_heartbeats"
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


class SecretChangeAction(models.TextChoices):
    SET = "set", "Set"
    CHANGED = "changed", "Changed"
    CLEARED = "cleared", "Cleared"
    ROTATED = "rotated", "Rotated (the previous one kept for an overlap)"


# Who changed a secret when nobody more precise is known (a script calling the service).
SYSTEM_ACTOR = "system"


class SecretChange(models.Model):
    """One change of a stored credential: who, when, which field, how; never the value.

    Written by the services that change secrets (``integration_create``/``_update``, the webhook
    secret's rotation, Payme's ChangePassword), shown read-only in the admin.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="secret_changes", db_index=False
    )
    field = models.CharField(max_length=32)
    action = models.CharField(max_length=16, choices=SecretChangeAction.choices)
    # "user <username>", "api key <name>", "payme", "system".
    actor = models.CharField(max_length=255)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "integration_secret_changes"
        ordering = ["-changed_at"]
        indexes = [
            models.Index(
                fields=["integration", "-changed_at"], name="secretchanges_integration_idx"
            ),
            models.Index(fields=["-changed_at"], name="secretchanges_changed_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.field} {self.action} by {self.actor} at {self.changed_at:%Y-%m-%d %H:%M:%S}"


class BeatHeartbeat(models.Model):
    """When the beat scheduler last ticked: written from inside the beat process itself (see
    ``integrations.heartbeats``), so a stopped beat shows even while workers still run."""

    name = models.CharField(max_length=64, primary_key=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "beat_heartbeats"
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"


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
    raise ImportError("integrations.models: AlertEvent must list config.ALERT_EVENTS")


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


class BeatLeader(models.Model):
    """Which beat process leads (sends periodic tasks): a lease renewed every few seconds by the
    leader and taken over by another beat once it expired (see ``integrations.leadership``).
    ``expires_at`` is set from the database's clock, so hosts' clocks need not agree."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=255)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "beat_leader"

    def __str__(self) -> str:
        return f"{self.host} pid {self.pid} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
