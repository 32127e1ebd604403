"""What happened to an integration: IntegrationLog (one call in or out) and SecretChange (who
changed which stored credential, never the value)."""

from __future__ import annotations

import uuid
from urllib.parse import unquote

from django.db import models
from django.utils import timezone

from integrations.models.integration import Integration, TimestampedModel


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
