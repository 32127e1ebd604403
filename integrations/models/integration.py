"""Integration: a connection to an outside system, its codes, types and statuses, and the rules
of every write to it (``Integration.clean``)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from integrations.config import IntegrationConfig, config_errors
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
