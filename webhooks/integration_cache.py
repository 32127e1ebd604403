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

from integrations.models import Integration, IntegrationStatus
from integrations.providers import receive_protocol_for
from integrations.services import integration_secret_values

MAX_ENTRIES = 1024


@dataclass(frozen=True)
class CachedIntegration:
    integration: Integration
    version: str
    # Decrypted once per cached row, for scrubbing headers and logs.
    secrets: list[str]


class StaleIntegration(Exception):
    """The cached row is not the integration as it is now (or the outcome needs a fresh read)."""


_entries: dict[str, CachedIntegration] = {}


def cached(code: str) -> CachedIntegration | None:
    """The entry for ``code`` when one is kept and fit for the common path."""
    return _entries.get(code)


def remember(integration: Integration | None, version: str | None) -> None:
    """Keep a freshly read row, if it can take the common path; otherwise forget its code."""
    if integration is None:
        return
    code = integration.code
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
    if len(_entries) >= MAX_ENTRIES and code not in _entries:
        _entries.clear()
    secrets = integration_secret_values(integration)
    _entries[code] = CachedIntegration(integration=integration, version=version, secrets=secrets)


def forget(code: str) -> None:
    _entries.pop(code, None)


def clear() -> None:
    _entries.clear()
