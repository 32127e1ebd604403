"""Kept integrations: the integrations behind receive URLs, kept per process between requests,
never trusted blind.

Reading the integration was a third of a receive's time. Each web process keeps the last row it
read for a code with the row's version (PostgreSQL's ``xmin``, changed by every UPDATE of the
row). A kept integration answers a delivery only when it is not inactive, has no receive
protocol of its own and no rate limit, the signature is valid and the delivery new (see
``webhooks.services.receive_kept``). The INSERT that stores the webhook checks, in the same
statement, that the integration's row still has that version. When it does not (deactivated,
deleted, secret rotated, config changed, any write at all), nothing is stored, the entry is
dropped and the delivery is answered from a fresh read. So an answer never rests on a stale
row, and no invalidation message is needed between processes.

Unknown codes are never kept (each one is a fresh read), and at most ``MAX_ENTRIES`` codes are.
Off PostgreSQL nothing is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.config import IntegrationConfig
from integrations.crypto import DecryptionError
from integrations.models import Integration, IntegrationStatus
from integrations.providers import receive_protocol_for
from integrations.services import integration_secret_values
from webhooks.selectors import secrets_valid_at
from webhooks.signatures import SignatureError, SignatureScheme, scheme_for, scheme_name_for

MAX_ENTRIES = 1024


@dataclass(frozen=True)
class KeptIntegration:
    """A kept row and what every request would otherwise work out of it again: the typed
    config, the signature scheme, the secrets decrypted (each decryption is an AES-GCM call)."""

    integration: Integration
    version: str
    # Decrypted once per kept row, for scrubbing headers and logs.
    secrets: list[str]
    config: IntegrationConfig
    scheme: SignatureScheme
    scheme_name: str
    webhook_secret: str
    previous_webhook_secret: str
    previous_expires_at: datetime | None

    def verification_secrets(self, now: datetime) -> list[str]:
        """As ``webhooks.selectors.verification_secrets``, at ``now``."""
        return secrets_valid_at(
            now,
            current=self.webhook_secret,
            previous=self.previous_webhook_secret,
            previous_expires_at=self.previous_expires_at,
        )


_entries: dict[str, KeptIntegration] = {}
# Each code's provider as last read, whether its row is kept or not: with the database down, a
# gateway's protocol still answers its own code in its own words (see ``provider_of``).
_providers: dict[str, str] = {}


def kept(code: str) -> KeptIntegration | None:
    """The integration kept for ``code``, if any (only one fit to answer a delivery is kept)."""
    return _entries.get(code)


def keep(integration: Integration, version: str | None) -> KeptIntegration | None:
    """Keep a freshly read row if it is fit to answer deliveries (otherwise forget its code);
    the entry kept, or None. A row already kept at this version stays as it is."""
    code = integration.code
    note_provider(integration)
    if version is None:
        _entries.pop(code, None)
        return None
    entry = _entries.get(code)
    if entry is not None and entry.version == version and entry.integration.pk == integration.pk:
        return entry
    fit = (
        integration.status != IntegrationStatus.INACTIVE
        and receive_protocol_for(integration) is None
        and integration.typed_config.rate_limit_per_minute is None
    )
    if not fit:
        _entries.pop(code, None)
        return None
    try:
        entry = _entry(integration, version)
    except (SignatureError, DecryptionError):  # the ORM's path answers these, every time
        _entries.pop(code, None)
        return None
    if len(_entries) >= MAX_ENTRIES and code not in _entries:
        _entries.clear()
    _entries[code] = entry
    return entry


def _entry(integration: Integration, version: str) -> KeptIntegration:
    scheme = scheme_for(integration)
    return KeptIntegration(
        integration=integration,
        version=version,
        secrets=integration_secret_values(integration),
        config=integration.typed_config,
        scheme=scheme,
        scheme_name=scheme_name_for(integration),
        webhook_secret=integration.webhook_secret or "",
        previous_webhook_secret=integration.previous_webhook_secret or "",
        previous_expires_at=integration.previous_webhook_secret_expires_at,
    )


def note_provider(integration: Integration) -> None:
    """Remember which provider ``integration``'s code belongs to (bounded as the entries are)."""
    if len(_providers) >= MAX_ENTRIES and integration.code not in _providers:
        _providers.clear()
    _providers[integration.code] = integration.provider


def provider_of(code: str) -> str | None:
    """The provider of ``code`` when this process has read its integration, else None."""
    return _providers.get(code)


def forget(code: str) -> None:
    _entries.pop(code, None)


def clear() -> None:
    _entries.clear()
    _providers.clear()
