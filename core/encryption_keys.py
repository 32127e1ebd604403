"""Reading ``FIELD_ENCRYPTION_KEYS``: what the settings check before Django starts, and what
``integrations.crypto`` builds its keyring from. Each key is the base64 of 32 random bytes; its
id is the first 8 hex digits of its SHA-256, written into every value it encrypts."""

from __future__ import annotations

import base64
import binascii
import hashlib

KEY_BYTES = 32


class DecryptionError(Exception):
    """A stored secret could not be decrypted. The message never contains the value itself."""


def decode_key(encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("a key is not valid base64") from error
    if len(raw) != KEY_BYTES:
        raise ValueError(f"a key decodes to {len(raw)} bytes, not {KEY_BYTES}")
    return raw


def key_id_of(raw_key: bytes) -> str:
    return hashlib.sha256(raw_key).hexdigest()[:8]


def validate_key_list(encoded_keys: list[str]) -> str | None:
    """Return what is wrong with a FIELD_ENCRYPTION_KEYS list, or None when it is usable."""
    if not encoded_keys:
        return "no key given"
    seen: set[str] = set()
    for position, encoded in enumerate(encoded_keys, start=1):
        try:
            raw = decode_key(encoded)
        except ValueError as error:
            return f"key #{position}: {error}"
        kid = key_id_of(raw)
        if kid in seen:
            return f"key #{position} is listed twice"
        seen.add(kid)
    return None
