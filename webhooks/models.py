"""Webhook: one inbound delivery from an outside system, stored before it is answered.

Allowed status transitions (made only in ``webhooks.services``, each by a conditional update):

    pending    -> processing   a worker claims it (sets the lease ``locked_until``)
    processing -> completed    handlers and the forward succeeded
    processing -> ignored      nothing handles the event (no handler, no ``config.forward_url``)
    processing -> pending      it failed and has retries left (``next_retry_at`` set), or its
                               lease expired because the worker died (the sweeper reclaims it)
    processing -> failed       it failed with no retries left
    failed     -> pending      manual retry
    ignored    -> pending      manual retry, unless ``rejected`` (refused for its signature)
    completed  -> pending      replay (as are failed and ignored-not-rejected ones)

Each processing try leaves a ``WebhookAttempt``, written in the same statement as the status
change that ends the try; ``Webhook.attempt_count`` is how many there are (kept in that statement
too), so lists show it without counting rows.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from integrations.models import Integration, IntegrationLog, TimestampedModel


class WebhookStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"


class Webhook(TimestampedModel):
    # Kept by Django (PROTECT on delete), not by a database constraint: PostgreSQL's check of
    # each insert read and key-share locked the one integration row every concurrent receive
    # shares, a tenth of the database's work per delivery. Integrations are soft-deleted and
    # deleted only through the ORM; every receive inserts from the integration's row itself.
    integration = models.ForeignKey(
        Integration,
        on_delete=models.PROTECT,
        related_name="webhooks",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    # Not indexed alone: webhooks_created_cover_idx has the same key (and every receive would
    # write both).
    created_at = models.DateTimeField(auto_now_add=True)
    event_type = models.CharField(max_length=255, default="unknown")
    source = models.CharField(max_length=64, null=True, blank=True)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    retry_count = models.PositiveIntegerField(default=0)
    max_retries = models.PositiveIntegerField(default=3)
    error_message = models.TextField(null=True, blank=True)
    signature = models.TextField(null=True, blank=True)
    signature_verified = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    # Refused at receipt (bad signature): kept for the record, never processed, never a duplicate
    # of the genuine delivery that may follow with the same external id.
    rejected = models.BooleanField(default=False)
    # When the next try is due (pending after a failure); the sweeper enqueues due rows.
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # While processing: the worker's lease. Past it, the sweeper takes the webhook back.
    locked_until = models.DateTimeField(null=True, blank=True)
    # When the latest wake-up message for this row becomes deliverable (sent now, or with a
    # countdown for a retry); null while no message was ever sent (the broker was down). The
    # sweeper re-sends only rows whose message is missing or long overdue.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # How many processing tries (``WebhookAttempt`` rows) there have been, replays included:
    # set with each try's row, so the lists, the dashboard and ``error_message`` say the same.
    # A default in the database too: rows inserted by hand (the benchmarks' bulk loads) get it.
    attempt_count = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "webhooks"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "external_id"],
                condition=Q(external_id__isnull=False, rejected=False),
                name="webhooks_unique_delivery",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "-created_at"], name="webhooks_integration_idx"),
            models.Index(fields=["status", "-created_at"], name="webhooks_status_idx"),
            models.Index(fields=["event_type"], name="webhooks_event_type_idx"),
            # The dashboard's 24-hour chart counts a window by hour, integration and status:
            # with these columns in the index it never reads the table's rows.
            models.Index(
                fields=["created_at"],
                include=["integration", "status"],
                name="webhooks_created_cover_idx",
            ),
            models.Index(fields=["source"], name="webhooks_source_idx"),
            models.Index(
                fields=["next_retry_at"],
                name="webhooks_due_idx",
                condition=Q(status__in=["pending", "processing"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source or '-'} {self.event_type} [{self.status}]"


class AttemptOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class WebhookAttempt(models.Model):
    """One processing try of a webhook: when it started, how long it took, what the forward
    answered and how it ended. Written by ``webhooks.services`` only, with the status change."""

    # A key made in Python: the try is inserted by a hand-written statement (see
    # ``webhooks.services._statements``), in the same round trip as the webhook's update.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Kept by Django, as ``Webhook.integration``: the try is inserted in the statement that
    # updates (and so locks) its webhook; a database check of the key would only read it again.
    # Deleted with its webhook (the API's DELETE, retention).
    webhook = models.ForeignKey(
        Webhook,
        on_delete=models.CASCADE,
        related_name="attempts",
        db_index=False,
        db_constraint=False,
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    # Null when unknown: a try whose worker died is only noticed when its lease ran out.
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The forward's HTTP status; null when nothing was forwarded or no answer came.
    status_code = models.IntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=AttemptOutcome.choices)
    error = models.TextField(null=True, blank=True)
    # The try's outbound call (the forward), when there was one. Logs have their own retention
    # (``RETENTION_LOG_DAYS``), shorter than a failed webhook's: the link may outlive its log.
    integration_log = models.ForeignKey(
        IntegrationLog,
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        db_table = "webhook_attempts"
        ordering = ["webhook", "number"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "number"], name="webhook_attempts_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.webhook_id}: {self.outcome}"
