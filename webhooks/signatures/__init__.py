"""Signature schemes behind one registry, chosen per integration.

A scheme checks that an inbound request really comes from the sender holding the integration's
webhook secret, and says where that sender puts the delivery id and the event type. The five
generic schemes live in ``webhooks.signatures.schemes``; an app adds its own with
``register_signature_scheme("name", Scheme())``.

Which scheme applies: ``config.signature_scheme`` when set, else the one the provider's
declaration names (``integrations.providers.PROVIDERS``), else ``hmac_sha256`` when a webhook
secret is set and ``none`` when it is not.

Which secrets a request may be signed with (the previous one too, during a rotation) is decided
in ``webhooks.selectors.verification_secrets``; a scheme is handed them.
"""

from webhooks.signatures import schemes  # noqa: F401  (registers the generic schemes)
from webhooks.signatures.base import (
    InboundRequest,
    SignatureError,
    SignatureScheme,
    check_timestamp,
    dot_path,
    hmac_sha256,
    register_signature_scheme,
    same,
    scheme_for,
    scheme_name_for,
    signature_scheme_names,
)

__all__ = [
    "InboundRequest",
    "SignatureError",
    "SignatureScheme",
    "check_timestamp",
    "dot_path",
    "hmac_sha256",
    "register_signature_scheme",
    "same",
    "scheme_for",
    "scheme_name_for",
    "signature_scheme_names",
]
