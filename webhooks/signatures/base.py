"""The pieces every signature scheme is built from: the request a scheme reads, the base class,
the registry and the helpers (HMAC, constant-time comparison, timestamp tolerance)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from integrations.config import IntegrationConfig
from integrations.models import Integration
from integrations.providers import default_signature_scheme


class SignatureError(Exception):
    """The request is not authentic; the message is the reason stored on the rejected row."""


@dataclass(frozen=True)
class InboundRequest:
    """What a scheme may look at: the raw body, the headers (case-insensitive) and the payload."""

    body: bytes
    headers: Mapping[str, str]
    payload: Any

    def header(self, name: str) -> str | None:
        """The header's value by any spelling of its name, as HTTP has it; None when empty."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted and isinstance(value, str) and value.strip():
                return value.strip()
        return None


def dot_path(data: Any, path: str) -> Any:
    """``dot_path({"a": {"b": 1}}, "a.b") == 1``; None when any step is missing."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return None
    return current


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)) or value == "":
        return None
    return str(value)


class SignatureScheme:
    """Base of every scheme. Subclasses override ``verify`` and, where the sender says so, the
    places the external id and the event type come from."""

    name: str = ""
    requires_secret: bool = True
    signature_headers: tuple[str, ...] = ()

    def verify(
        self, request: InboundRequest, *, secrets: list[str], config: IntegrationConfig
    ) -> None:
        """Return when one of ``secrets`` signed the request; raise SignatureError otherwise."""
        raise NotImplementedError

    def signature(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        """The signature as sent, stored on the row for the record."""
        for name in self.signature_headers:
            value = request.header(name)
            if value:
                return value
        return None

    def external_id(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return _as_text(dot_path(request.payload, config.external_id_field))

    def event_type(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        field = config.event_type_field
        for path in [field] if field else ["type", "event", "event_type"]:
            value = _as_text(dot_path(request.payload, path))
            if value:
                return value
        return None

    def generate_secret(self) -> str:
        """A fresh secret in the shape this scheme's senders expect."""
        import secrets

        return secrets.token_hex(32)


_schemes: dict[str, SignatureScheme] = {}


def register_signature_scheme(name: str, scheme: SignatureScheme) -> SignatureScheme:
    """Make ``scheme`` available as ``config.signature_scheme = name``. Which scheme a provider's
    integrations use by default is the provider's declaration (``integrations.providers``)."""
    scheme.name = name
    _schemes[name] = scheme
    return scheme


def signature_scheme_names() -> list[str]:
    return sorted(_schemes)


def scheme_name_for(integration: Integration) -> str:
    configured = integration.typed_config.signature_scheme
    if configured:
        return configured
    default = default_signature_scheme(integration)
    if default:
        return default
    return "hmac_sha256" if integration.has_webhook_secret else "none"


def scheme_for(integration: Integration) -> SignatureScheme:
    """The integration's scheme; SignatureError when its config names one that does not exist."""
    name = scheme_name_for(integration)
    try:
        return _schemes[name]
    except KeyError:
        raise SignatureError(f"unknown signature scheme {name!r} in config") from None


def check_timestamp(raw: str | None, config: IntegrationConfig) -> int:
    """The signed unix timestamp, which must lie within the tolerance of now, either way."""
    import time

    if raw is None:
        raise SignatureError("missing signature timestamp")
    try:
        stamp = int(raw)
    except ValueError:
        raise SignatureError("malformed signature timestamp") from None
    tolerance = config.tolerance_seconds
    drift = int(time.time()) - stamp
    if drift > tolerance:
        raise SignatureError(f"signature timestamp is too old (tolerance {tolerance} s)")
    if drift < -tolerance:
        raise SignatureError(f"signature timestamp is in the future (tolerance {tolerance} s)")
    return stamp


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def same(expected: bytes | str, given: bytes | str) -> bool:
    """Constant-time equality, so the time a refusal takes says nothing about the secret."""
    if isinstance(expected, str):
        expected = expected.encode()
    if isinstance(given, str):
        given = given.encode()
    return hmac.compare_digest(expected, given)
