"""The integrations' stored credentials: which secrets a write changes and the record of who
changed them (never the values), their plaintext for scrubbing logs, and re-encryption under
the primary key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.crypto import Ciphertext, DecryptionError, keyring
from integrations.models import (
    SECRET_FIELDS,
    SYSTEM_ACTOR,
    Integration,
    SecretChange,
    SecretChangeAction,
)

_UNREADABLE = object()


def _stored_plaintext(integration: Integration | None, name: str) -> object:
    """The secret as stored (None when unset); ``_UNREADABLE`` when it does not decrypt."""
    if integration is None:
        return None
    try:
        return getattr(integration, name) or None
    except DecryptionError:
        return _UNREADABLE


def secret_changes_compute(
    *, integration: Integration | None, data: dict[str, Any]
) -> list[tuple[str, SecretChangeAction]]:
    """Which secrets ``data`` changes and how; a secret sent again unchanged is no change."""
    changes: list[tuple[str, SecretChangeAction]] = []
    for name in SECRET_FIELDS:
        if name not in data:
            continue
        new = data[name] or None
        old = _stored_plaintext(integration, name)
        if old == new:
            continue
        if new is None:
            changes.append((name, SecretChangeAction.CLEARED))
        elif old is None:
            changes.append((name, SecretChangeAction.SET))
        else:
            changes.append((name, SecretChangeAction.CHANGED))
    if (
        integration is not None
        and "webhook_secret" in data
        and integration.has_secret("previous_webhook_secret")
    ):
        # A plain update ends a rotation's overlap: the previous secret stops verifying.
        changes.append(("previous_webhook_secret", SecretChangeAction.CLEARED))
    return changes


def secret_changes_record(
    *,
    integration: Integration,
    changes: list[tuple[str, SecretChangeAction]],
    actor: str = SYSTEM_ACTOR,
) -> list[SecretChange]:
    """Record who changed which secrets of ``integration`` (never the values); the changes of
    one write share one time."""
    now = timezone.now()
    return SecretChange.objects.bulk_create(
        SecretChange(
            integration=integration, field=name, action=action, actor=actor[:255], changed_at=now
        )
        for name, action in changes
    )


@dataclass
class ReencryptReport:
    rows: int = 0
    values_reencrypted: int = 0
    values_current: int = 0


def secrets_reencrypt(
    *, dry_run: bool = False, batch_size: int = 200, progress: Callable[[str], Any] | None = None
) -> ReencryptReport:
    """Re-encrypt every secret not on the primary key; each batch in one transaction.

    A value that does not decrypt stops the run with DecryptionError: re-encrypting around it
    would hide a tampered row or a missing key.
    """
    ring = keyring()
    report = ReencryptReport()
    names = (*SECRET_FIELDS, "previous_webhook_secret")
    queryset = Integration.all_objects.order_by("pk")
    last_pk = None
    while True:
        page = queryset.filter(pk__gt=last_pk) if last_pk else queryset
        with transaction.atomic():
            rows = list(page.select_for_update()[:batch_size])
            if not rows:
                break
            for integration in rows:
                report.rows += 1
                changed: dict[str, str] = {}
                for name in names:
                    stored = integration.__dict__.get(name)
                    if not isinstance(stored, Ciphertext):
                        continue
                    if stored.key_id == ring.primary_id:
                        report.values_current += 1
                        continue
                    changed[name] = getattr(integration, name)  # decrypts, or raises
                if changed and not dry_run:
                    Integration.all_objects.filter(pk=integration.pk).update(**changed)
                report.values_reencrypted += len(changed)
            last_pk = rows[-1].pk
        if progress:
            progress(f"{report.rows} integration(s) done")
    return report
