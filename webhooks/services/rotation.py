"""The webhook secret's rotation: replace the secret while the previous one keeps verifying for
an overlap (the secrets a delivery may be signed with meanwhile are read by
``webhooks.selectors.verification_secrets``).

While ``Integration.previous_webhook_secret_expires_at`` lies in the future, the previous secret
verifies as well as the current one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.models import SYSTEM_ACTOR, Integration, SecretChangeAction
from integrations.services import secret_changes_record
from webhooks.services.tunables import DEFAULT_SECRET_OVERLAP_HOURS
from webhooks.signatures import SignatureError, SignatureScheme, scheme_for

logger = logging.getLogger(__name__)


@dataclass
class RotatedSecret:
    """The new secret (shown once, never stored in plaintext) and until when the old one works."""

    webhook_secret: str
    previous_webhook_secret_expires_at: datetime | None


def webhook_secret_rotate(
    *,
    integration: Integration,
    new_secret: str | None = None,
    overlap_hours: float = DEFAULT_SECRET_OVERLAP_HOURS,
    actor: str = SYSTEM_ACTOR,
) -> RotatedSecret:
    """Replace the webhook secret, keeping the current one valid for ``overlap_hours`` so senders
    can switch over without a refused delivery. Without ``new_secret`` one is generated in the
    shape the integration's scheme expects. The change is recorded as made by ``actor``."""
    with transaction.atomic():
        locked = Integration.all_objects.select_for_update().get(pk=integration.pk)
        if not new_secret:
            try:
                new_secret = scheme_for(locked).generate_secret()
            except SignatureError:
                new_secret = SignatureScheme().generate_secret()
        current = locked.webhook_secret
        expires_at: datetime | None = None
        if current and overlap_hours > 0:
            expires_at = timezone.now() + timedelta(hours=overlap_hours)
            locked.previous_webhook_secret = current
        else:
            locked.previous_webhook_secret = None
        locked.previous_webhook_secret_expires_at = expires_at
        locked.webhook_secret = new_secret
        locked.save(
            update_fields=[
                "webhook_secret",
                "previous_webhook_secret",
                "previous_webhook_secret_expires_at",
                "updated_at",
            ]
        )
        secret_changes_record(
            integration=locked,
            changes=[("webhook_secret", SecretChangeAction.ROTATED)],
            actor=actor,
        )
    integration.refresh_from_db()
    logger.info(
        "webhook secret of integration %s rotated; previous valid until %s",
        integration.code,
        expires_at.isoformat() if expires_at else "-",
    )
    return RotatedSecret(webhook_secret=new_secret, previous_webhook_secret_expires_at=expires_at)
