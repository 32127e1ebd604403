"""The generic schemes: ``hmac_sha256``, ``github``, ``stripe``, ``standard_webhooks``, ``none``.

Every comparison goes through ``same`` (``hmac.compare_digest``). A header may carry several
signatures (key rotation on the sender's side): any one valid signature passes.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

from integrations.config import IntegrationConfig
from webhooks.signatures.base import (
    InboundRequest,
    SignatureError,
    SignatureScheme,
    check_timestamp,
    hmac_sha256,
    register_signature_scheme,
    same,
)

_SEPARATORS = re.compile(r"[\s,]+")
# Stripe and Standard Webhooks senders put the id and the type in the body, whatever the config.
_BODY_ID = IntegrationConfig(external_id_field="id")
_BODY_TYPE = IntegrationConfig(event_type_field="type")


def _hex_signatures(value: str) -> list[str]:
    """``"sha256=ab…, cd…"`` → ``["ab…", "cd…"]``: prefixes dropped, lowercased."""
    found = []
    for part in _SEPARATORS.split(value):
        part = part.strip()
        if part.lower().startswith("sha256="):
            part = part[len("sha256=") :]
        if part:
            found.append(part.lower())
    return found


class HmacSha256Scheme(SignatureScheme):
    """Hex HMAC-SHA256 of the raw body in ``config.signature_header`` (default ``X-Signature``)."""

    def header_name(self, config: IntegrationConfig) -> str:
        return config.signature_header

    def signature(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return request.header(self.header_name(config))

    def verify(
        self, request: InboundRequest, *, secrets: list[str], config: IntegrationConfig
    ) -> None:
        header = self.header_name(config)
        value = request.header(header)
        if not value:
            raise SignatureError(f"missing {header} header")
        given = _hex_signatures(value)
        for secret in secrets:
            expected = hmac_sha256(secret.encode(), request.body).hex()
            if any(same(expected, candidate) for candidate in given):
                return
        raise SignatureError(f"{header} does not match the body")


class GithubScheme(SignatureScheme):
    """``X-Hub-Signature-256: sha256=<hex HMAC of the body>``; id and event in GitHub's headers."""

    signature_headers = ("X-Hub-Signature-256",)

    def verify(
        self, request: InboundRequest, *, secrets: list[str], config: IntegrationConfig
    ) -> None:
        value = request.header("X-Hub-Signature-256")
        if not value:
            raise SignatureError("missing X-Hub-Signature-256 header")
        if not value.lower().startswith("sha256="):
            raise SignatureError("X-Hub-Signature-256 must start with sha256=")
        given = _hex_signatures(value)
        for secret in secrets:
            expected = hmac_sha256(secret.encode(), request.body).hex()
            if any(same(expected, candidate) for candidate in given):
                return
        raise SignatureError("X-Hub-Signature-256 does not match the body")

    def external_id(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return request.header("X-GitHub-Delivery")

    def event_type(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return request.header("X-GitHub-Event") or super().event_type(request, config)


class StripeScheme(SignatureScheme):
    """``Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`` over ``"<t>.<body>"``, keyed with the whole
    secret string; entries of other versions (``v0=``) are ignored."""

    signature_headers = ("Stripe-Signature",)

    def verify(
        self, request: InboundRequest, *, secrets: list[str], config: IntegrationConfig
    ) -> None:
        value = request.header("Stripe-Signature")
        if not value:
            raise SignatureError("missing Stripe-Signature header")
        timestamp: str | None = None
        given: list[str] = []
        for item in value.split(","):
            key, _, content = item.strip().partition("=")
            if key == "t":
                timestamp = content.strip()
            elif key == "v1" and content.strip():
                given.append(content.strip().lower())
        if not given:
            raise SignatureError("Stripe-Signature has no v1 signature")
        check_timestamp(timestamp, config)
        message = f"{timestamp}.".encode() + request.body
        for secret in secrets:
            expected = hmac_sha256(secret.encode(), message).hex()
            if any(same(expected, candidate) for candidate in given):
                return
        raise SignatureError("no v1 signature in Stripe-Signature matches the body")

    def external_id(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return SignatureScheme.external_id(self, request, _BODY_ID)

    def event_type(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return SignatureScheme.event_type(self, request, _BODY_TYPE) or (
            super().event_type(request, config)
        )


def standard_webhooks_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret, decoded as the ``standardwebhooks`` package
    does (unpadded base64 accepted), so the hub and that package always agree."""
    encoded = secret[len("whsec_") :] if secret.startswith("whsec_") else secret
    try:
        key = base64.b64decode(encoded + "==")
    except (binascii.Error, ValueError):
        raise SignatureError("the webhook secret is not a whsec_<base64> secret") from None
    if not key:
        raise SignatureError("the webhook secret is empty")
    return key


def standard_webhooks_signature(*, key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``."""
    digest = hmac_sha256(key, f"{message_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(digest).decode()


class StandardWebhooksScheme(SignatureScheme):
    """Standard Webhooks (and Svix): ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``
    (or the same names with ``svix-``), space-separated ``v1,<base64>`` signatures."""

    signature_headers = ("webhook-signature", "svix-signature")

    def _header(self, request: InboundRequest, suffix: str) -> str | None:
        return request.header(f"webhook-{suffix}") or request.header(f"svix-{suffix}")

    def verify(
        self, request: InboundRequest, *, secrets: list[str], config: IntegrationConfig
    ) -> None:
        message_id = self._header(request, "id")
        value = self._header(request, "signature")
        if not message_id or not value:
            raise SignatureError("missing webhook-id or webhook-signature header")
        timestamp = check_timestamp(self._header(request, "timestamp"), config)
        given: list[bytes] = []
        for entry in value.split():
            version, _, encoded = entry.partition(",")
            if version != "v1" or not encoded:
                continue
            try:
                given.append(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
            except (binascii.Error, ValueError):
                continue
        if not given:
            raise SignatureError("webhook-signature has no v1 signature")
        message = f"{message_id}.{timestamp}.".encode() + request.body
        for secret in secrets:
            expected = hmac_sha256(standard_webhooks_key(secret), message)
            if any(same(expected, candidate) for candidate in given):
                return
        raise SignatureError("no v1 signature in webhook-signature matches the body")

    def external_id(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return self._header(request, "id")

    def event_type(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return SignatureScheme.event_type(self, request, _BODY_TYPE) or (
            super().event_type(request, config)
        )

    def generate_secret(self) -> str:
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class NoSignatureScheme(SignatureScheme):
    """Nothing to verify: the row says ``signature_verified: false``."""

    requires_secret = False

    def signature(self, request: InboundRequest, config: IntegrationConfig) -> str | None:
        return None

    def verify(
        self, request: InboundRequest, *, secrets: list[str], config: IntegrationConfig
    ) -> None:
        return None


register_signature_scheme("hmac_sha256", HmacSha256Scheme())
register_signature_scheme("github", GithubScheme())
register_signature_scheme("stripe", StripeScheme())
register_signature_scheme("standard_webhooks", StandardWebhooksScheme())
register_signature_scheme("none", NoSignatureScheme())
