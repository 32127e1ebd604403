"""AES-256-GCM encryption of stored credentials.

A stored value reads ``enc:v1:<key id>:<base64(nonce | ciphertext | tag)>``. The nonce is 96 random
bits, fresh for every value. The key id (the first 8 hex digits of SHA-256 of the key) says which of
``FIELD_ENCRYPTION_KEYS`` decrypts it, so keys can be rotated: the first key encrypts, all decrypt,
and ``reencrypt_secrets`` moves old values to the first key. The associated data binds a value to
the column it was written for, so a ciphertext copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.encryption_keys import DecryptionError, decode_key, key_id_of, validate_key_list

__all__ = ["Ciphertext", "DecryptionError", "Keyring", "key_id_of", "keyring", "validate_key_list"]

PREFIX = "enc:v1:"
NONCE_BYTES = 12


class Ciphertext(str):
    """A stored, still encrypted value as it came from the database."""

    __slots__ = ()

    @property
    def key_id(self) -> str:
        return self.split(":", 3)[2] if self.count(":") >= 3 else ""


@dataclass(frozen=True)
class Keyring:
    """The keys of FIELD_ENCRYPTION_KEYS: the first one encrypts, every one decrypts."""

    primary_id: str
    keys: dict[str, AESGCM]

    @classmethod
    def from_encoded(cls, encoded_keys: tuple[str, ...]) -> Keyring:
        problem = validate_key_list(list(encoded_keys))
        if problem:
            raise ValueError(f"FIELD_ENCRYPTION_KEYS is invalid: {problem}")
        keys: dict[str, AESGCM] = {}
        primary_id = ""
        for encoded in encoded_keys:
            raw = decode_key(encoded)
            kid = key_id_of(raw)
            keys[kid] = AESGCM(raw)
            primary_id = primary_id or kid
        return cls(primary_id=primary_id, keys=keys)

    def encrypt(self, plaintext: str, *, context: str) -> Ciphertext:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.keys[self.primary_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        token = base64.b64encode(nonce + sealed).decode("ascii")
        return Ciphertext(f"{PREFIX}{self.primary_id}:{token}")

    def decrypt(self, stored: str, *, context: str) -> str:
        if not stored.startswith(PREFIX):
            raise DecryptionError(f"{context}: the stored value is not in the encrypted format")
        try:
            _, _, kid, token = stored.split(":", 3)
        except ValueError:
            raise DecryptionError(f"{context}: the stored value is malformed") from None
        key = self.keys.get(kid)
        if key is None:
            raise DecryptionError(
                f"{context}: encrypted with key id {kid!r}, which is not in FIELD_ENCRYPTION_KEYS"
            )
        try:
            blob = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptionError(f"{context}: the stored value is not valid base64") from None
        if len(blob) <= NONCE_BYTES + 16:
            raise DecryptionError(f"{context}: the stored value is truncated")
        try:
            plain = key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag:
            raise DecryptionError(
                f"{context}: authentication failed (the stored value was altered, "
                "or belongs to another column)"
            ) from None
        return plain.decode("utf-8")


@lru_cache(maxsize=8)
def _keyring_for(encoded_keys: tuple[str, ...]) -> Keyring:
    return Keyring.from_encoded(encoded_keys)


def keyring() -> Keyring:
    """The keyring of the current settings (cached per key list, so tests may override it)."""
    from django.conf import settings

    return _keyring_for(tuple(settings.FIELD_ENCRYPTION_KEYS))
