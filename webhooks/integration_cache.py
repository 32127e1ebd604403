"""The integrations behind receive URLs, kept per process between requests, never trusted blind.

Reading the integration was a third of a receive's time. Each web process keeps the last row it
read for a code with the row's version (PostgreSQL's ``xmin``, changed by every UPDATE of the
row). A cached row is used only on the common path: an integration that is not inactive, has no
receive protocol of its own and no rate limit; a valid signature; a new delivery. The INSERT
that stores the webhook checks, in the same statement, that the integration's row still has
that version. When it does not (deactivated, deleted, secret rotated, config changed, any write
at all), nothing is stored, the entry is dropped and the request is handled again from a fresh
read. So an answer never rests on a stale row, and no invalidation message is needed between
processes.

Unknown codes are never cached (each one is a fresh read), and the cache holds at most
``MAX_ENTRIES`` codes. Off PostgreSQL nothing is cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.config import IntegrationConfig
from integrations.crypto import DecryptionError
from integrations.models import Integration, IntegrationStatus
from integrations.providers import receive_protocol_for
from integrations.services import integration_secret_values
from webhooks.signatures import SignatureError, SignatureScheme, scheme_for, scheme_name_for

MAX_ENTRIES = 1024


@dataclass(frozen=True)
class CachedIntegration:
    """A kept row and what every request would otherwise work out of it again: the typed
    config, the signature scheme, the secrets decrypted (each decryption is an AES-GCM call)."""

    integration: Integration
    version: str
    # Decrypted once per cached row, for scrubbing headers and logs.
    secrets: list[str]
    config: IntegrationConfig
    scheme: SignatureScheme
    scheme_name: str
    webhook_secret: str
    previous_webhook_secret: str
    previous_expires_at: datetime | None

    def verification_secrets(self, now: datetime) -> list[str]:
        """As ``webhooks.services.rotation.verification_secrets``, at ``now``."""
        from webhooks.services.rotation import secrets_valid_at

        return secrets_valid_at(
            now,
            current=self.webhook_secret,
            previous=self.previous_webhook_secret,
            previous_expires_at=self.previous_expires_at,
        )


class StaleIntegration(Exception):
    """The cached row is not the integration as it is now (or the outcome needs a fresh read)."""


_entries: dict[str, CachedIntegration] = {}
# Each code's provider as last read, whether its row is kept or not: with the database down, a
# gateway's protocol still answers its own code in its own words (see ``provider_of``).
_providers: dict[str, str] = {}


def cached(code: str) -> CachedIntegration | None:
    """The entry for ``code`` when one is kept and fit for the common path."""
    return _entries.get(code)


def remember(integration: Integration | None, version: str | None) -> None:
    """Keep a freshly read row, if it can take the common path; otherwise forget its code."""
    if integration is None:
        return
    code = integration.code
    note_provider(integration)
    if version is None:
        _entries.pop(code, None)
        return
    fit = (
        integration.status != IntegrationStatus.INACTIVE
        and receive_protocol_for(integration) is None
        and integration.typed_config.rate_limit_per_minute is None
    )
    if not fit:
        _entries.pop(code, None)
        return
    try:
        entry = _entry(integration, version)
    except (SignatureError, DecryptionError):  # the full path answers these, every time
        _entries.pop(code, None)
        return
    if len(_entries) >= MAX_ENTRIES and code not in _entries:
        _entries.clear()
    _entries[code] = entry


def _entry(integration: Integration, version: str) -> CachedIntegration:
    scheme = scheme_for(integration)
    return CachedIntegration(
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
