"""The AES-256-GCM keyring: the stored format, fresh nonces, tamper detection, key rotation."""

from __future__ import annotations

import base64
import os

import pytest
from django.test import override_settings

from integrations.crypto import (
    NONCE_BYTES,
    PREFIX,
    DecryptionError,
    Keyring,
    key_id_of,
    keyring,
    validate_key_list,
)

CONTEXT = "integrations.Integration.api_key"
PLAINTEXT = "sk_live_51H8xYzUzbekistan"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def ring(*keys: str) -> Keyring:
    return Keyring.from_encoded(tuple(keys))


def test_round_trip_returns_the_plaintext() -> None:
    keys = ring(new_key())

    stored = keys.encrypt(PLAINTEXT, context=CONTEXT)

    assert keys.decrypt(stored, context=CONTEXT) == PLAINTEXT


def test_round_trip_keeps_unicode() -> None:
    keys = ring(new_key())
    secret = "Администратор:пароль🔑"

    assert keys.decrypt(keys.encrypt(secret, context=CONTEXT), context=CONTEXT) == secret


def test_stored_value_names_the_key_and_hides_the_plaintext() -> None:
    key = new_key()
    keys = ring(key)

    stored = keys.encrypt(PLAINTEXT, context=CONTEXT)

    kid = key_id_of(base64.b64decode(key))
    assert stored.startswith(f"{PREFIX}{kid}:")
    assert stored.key_id == kid
    assert PLAINTEXT not in stored
    assert PLAINTEXT.encode() not in base64.b64decode(stored.split(":", 3)[3])
    # 96-bit nonce + ciphertext + 128-bit tag
    assert len(base64.b64decode(stored.split(":", 3)[3])) == NONCE_BYTES + len(PLAINTEXT) + 16


def test_nonce_never_repeats() -> None:
    keys = ring(new_key())

    stored = [keys.encrypt(PLAINTEXT, context=CONTEXT) for _ in range(500)]

    assert len(set(stored)) == len(stored)
    nonces = {base64.b64decode(value.split(":", 3)[3])[:NONCE_BYTES] for value in stored}
    assert len(nonces) == len(stored)
    assert {keys.decrypt(value, context=CONTEXT) for value in stored} == {PLAINTEXT}


def _flip_byte(stored: str, position: int) -> str:
    head, token = stored.rsplit(":", 1)
    blob = bytearray(base64.b64decode(token))
    blob[position] ^= 0x01
    return f"{head}:{base64.b64encode(bytes(blob)).decode()}"


@pytest.mark.parametrize("position", [0, NONCE_BYTES, -1], ids=["nonce", "ciphertext", "tag"])
def test_tampering_is_detected(position: int) -> None:
    keys = ring(new_key())
    stored = keys.encrypt(PLAINTEXT, context=CONTEXT)
    tampered = _flip_byte(stored, position)

    with pytest.raises(DecryptionError) as caught:
        keys.decrypt(tampered, context=CONTEXT)

    message = str(caught.value)
    assert "authentication failed" in message
    assert CONTEXT in message
    assert PLAINTEXT not in message
    assert tampered.split(":", 3)[3] not in message


def test_value_copied_to_another_column_does_not_decrypt() -> None:
    keys = ring(new_key())
    stored = keys.encrypt(PLAINTEXT, context=CONTEXT)

    with pytest.raises(DecryptionError, match="authentication failed"):
        keys.decrypt(stored, context="integrations.Integration.webhook_secret")


def test_unknown_key_id_raises_naming_the_setting() -> None:
    stored = ring(new_key()).encrypt(PLAINTEXT, context=CONTEXT)
    other = ring(new_key())

    with pytest.raises(DecryptionError) as caught:
        other.decrypt(stored, context=CONTEXT)

    assert "FIELD_ENCRYPTION_KEYS" in str(caught.value)
    assert stored.key_id in str(caught.value)
    assert PLAINTEXT not in str(caught.value)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (PLAINTEXT, "not in the encrypted format"),
        ("enc:v1:abcd", "malformed"),
        ("enc:v1:{kid}:!!!not base64!!!", "not valid base64"),
        ("enc:v1:{kid}:" + base64.b64encode(b"short").decode(), "truncated"),
    ],
    ids=["plaintext", "malformed", "not-base64", "truncated"],
)
def test_garbage_never_passes_as_a_value(stored: str, expected: str) -> None:
    key = new_key()
    keys = ring(key)
    stored = stored.format(kid=key_id_of(base64.b64decode(key)))

    with pytest.raises(DecryptionError, match=expected):
        keys.decrypt(stored, context=CONTEXT)


def test_rotation_first_key_encrypts_and_every_key_decrypts() -> None:
    old, new = new_key(), new_key()
    before = ring(old).encrypt(PLAINTEXT, context=CONTEXT)

    rotated = ring(new, old)
    after = rotated.encrypt(PLAINTEXT, context=CONTEXT)

    assert after.key_id == key_id_of(base64.b64decode(new))
    assert before.key_id == key_id_of(base64.b64decode(old))
    assert rotated.decrypt(before, context=CONTEXT) == PLAINTEXT
    assert rotated.decrypt(after, context=CONTEXT) == PLAINTEXT
    with pytest.raises(DecryptionError):
        ring(old).decrypt(after, context=CONTEXT)


def test_keyring_follows_overridden_settings() -> None:
    first, second = new_key(), new_key()

    with override_settings(FIELD_ENCRYPTION_KEYS=[first]):
        stored = keyring().encrypt(PLAINTEXT, context=CONTEXT)
    with override_settings(FIELD_ENCRYPTION_KEYS=[second, first]):
        assert keyring().primary_id == key_id_of(base64.b64decode(second))
        assert keyring().decrypt(stored, context=CONTEXT) == PLAINTEXT
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[second]),
        pytest.raises(DecryptionError, match="not in FIELD_ENCRYPTION_KEYS"),
    ):
        keyring().decrypt(stored, context=CONTEXT)


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ([], "no key given"),
        (["not base64!"], "key #1: a key is not valid base64"),
        ([base64.b64encode(b"x" * 16).decode()], "key #1: a key decodes to 16 bytes, not 32"),
        (["SAME"], "key #2 is listed twice"),
    ],
    ids=["empty", "not-base64", "short", "duplicate"],
)
def test_invalid_key_lists_are_refused(keys: list[str], problem: str) -> None:
    if keys == ["SAME"]:
        key = new_key()
        keys = [key, key]

    assert validate_key_list(keys) == problem
    with pytest.raises(ValueError, match="FIELD_ENCRYPTION_KEYS is invalid"):
        Keyring.from_encoded(tuple(keys))


def test_a_valid_key_list_is_accepted() -> None:
    assert validate_key_list([new_key(), new_key()]) is None
