"""EncryptedTextField on Integration: what the database column holds and what Python reads back."""

from __future__ import annotations

import base64
import os
import pickle

import pytest
from django.core import serializers
from django.core.exceptions import FieldError
from django.db import connection
from django.test import override_settings

from integrations.crypto import PREFIX, DecryptionError, key_id_of
from integrations.models import Integration
from integrations.tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

API_KEY = "live-api-key-7f3a9c"
API_SECRET = "live-api-secret-Q2w8"
WEBHOOK_SECRET = "whsec-live-9d0e1b"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def kid(encoded: str) -> str:
    return key_id_of(base64.b64decode(encoded))


def column(integration: Integration, name: str) -> str | None:
    """What the database holds, read with raw SQL (no field conversion)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM integrations WHERE id = %s", [integration.pk])  # noqa: S608
        value: str | None = cursor.fetchone()[0]
        return value


def set_column(integration: Integration, name: str, value: str | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE integrations SET {name} = %s WHERE id = %s",  # noqa: S608
            [value, integration.pk],
        )


def with_secrets(**kwargs: object) -> Integration:
    return IntegrationFactory(
        api_key=API_KEY, api_secret=API_SECRET, webhook_secret=WEBHOOK_SECRET, **kwargs
    )


def test_round_trip_through_the_database() -> None:
    integration = with_secrets()

    loaded = Integration.objects.get(pk=integration.pk)

    assert loaded.api_key == API_KEY
    assert loaded.api_secret == API_SECRET
    assert loaded.webhook_secret == WEBHOOK_SECRET


def test_round_trip_of_a_cyrillic_credential() -> None:
    integration = IntegrationFactory(api_key="Администратор", api_secret="пароль-1С")

    loaded = Integration.objects.get(pk=integration.pk)

    assert (loaded.api_key, loaded.api_secret) == ("Администратор", "пароль-1С")


def test_database_column_never_holds_the_plaintext() -> None:
    integration = with_secrets()

    for name, plaintext in [
        ("api_key", API_KEY),
        ("api_secret", API_SECRET),
        ("webhook_secret", WEBHOOK_SECRET),
    ]:
        stored = column(integration, name)
        assert stored is not None, name
        assert stored.startswith(PREFIX), name
        assert plaintext not in stored, name


def test_database_row_as_text_never_holds_the_plaintext() -> None:
    integration = with_secrets()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(i)::text FROM integrations i WHERE id = %s", [integration.pk]
        )
        row_text = cursor.fetchone()[0]

    for plaintext in (API_KEY, API_SECRET, WEBHOOK_SECRET):
        assert plaintext not in row_text


def test_same_plaintext_is_stored_differently_every_time() -> None:
    integrations = [IntegrationFactory(api_key=API_KEY) for _ in range(30)]

    stored = {column(integration, "api_key") for integration in integrations}

    assert len(stored) == len(integrations)
    assert {Integration.objects.get(pk=i.pk).api_key for i in integrations} == {API_KEY}


def test_saving_the_same_secret_again_gives_a_new_ciphertext() -> None:
    integration = IntegrationFactory(api_key=API_KEY)
    first = column(integration, "api_key")

    integration.api_key = API_KEY
    integration.save()

    assert column(integration, "api_key") != first
    assert Integration.objects.get(pk=integration.pk).api_key == API_KEY


def test_saving_other_fields_keeps_the_stored_secret_untouched() -> None:
    integration = with_secrets()
    before = column(integration, "api_key")

    loaded = Integration.objects.get(pk=integration.pk)
    loaded.name = "Renamed"
    loaded.save()

    assert column(integration, "api_key") == before
    assert Integration.objects.get(pk=integration.pk).api_key == API_KEY


def test_tampered_column_raises_a_clear_error_without_the_secret() -> None:
    integration = with_secrets()
    stored = column(integration, "api_key")
    assert stored is not None
    head, token = stored.rsplit(":", 1)
    blob = bytearray(base64.b64decode(token))
    blob[len(blob) // 2] ^= 0xFF
    tampered = f"{head}:{base64.b64encode(bytes(blob)).decode()}"
    set_column(integration, "api_key", tampered)

    loaded = Integration.objects.get(pk=integration.pk)
    with pytest.raises(DecryptionError) as caught:
        _ = loaded.api_key

    message = str(caught.value)
    assert "integrations.Integration.api_key" in message
    assert "altered" in message
    assert API_KEY not in message
    assert token not in message
    assert base64.b64encode(bytes(blob)).decode() not in message
    # the other, untouched secrets still read
    assert loaded.api_secret == API_SECRET


def test_ciphertext_moved_to_another_column_does_not_decrypt() -> None:
    integration = with_secrets()
    set_column(integration, "webhook_secret", column(integration, "api_key"))

    loaded = Integration.objects.get(pk=integration.pk)

    with pytest.raises(DecryptionError, match="webhook_secret"):
        _ = loaded.webhook_secret


def test_plaintext_written_into_the_column_is_never_returned() -> None:
    integration = IntegrationFactory()
    set_column(integration, "api_key", "enc:v1:deadbeef")

    loaded = Integration.objects.get(pk=integration.pk)

    with pytest.raises(DecryptionError):
        _ = loaded.api_key


def test_unknown_key_id_raises() -> None:
    old = new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        integration = with_secrets()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key()]):
        loaded = Integration.objects.get(pk=integration.pk)
        with pytest.raises(DecryptionError) as caught:
            _ = loaded.api_key

    assert kid(old) in str(caught.value)
    assert "FIELD_ENCRYPTION_KEYS" in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_rotation_with_two_keys() -> None:
    old, new = new_key(), new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        before = with_secrets()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        after = IntegrationFactory(api_key="written-after-rotation")
        assert Integration.objects.get(pk=before.pk).api_key == API_KEY
        assert Integration.objects.get(pk=after.pk).api_key == "written-after-rotation"

    stored_before, stored_after = column(before, "api_key"), column(after, "api_key")
    assert stored_before is not None and stored_before.startswith(f"{PREFIX}{kid(old)}:")
    assert stored_after is not None and stored_after.startswith(f"{PREFIX}{kid(new)}:")


@pytest.mark.parametrize("empty", [None, ""])
def test_none_or_empty_clears_the_secret(empty: str | None) -> None:
    integration = with_secrets()

    integration.api_key = empty
    integration.save()

    loaded = Integration.objects.get(pk=integration.pk)
    assert column(integration, "api_key") is None
    assert loaded.api_key is None
    assert loaded.has_api_key is False
    assert loaded.has_api_secret is True


def test_has_flags_answer_without_the_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key()]):
        integration = IntegrationFactory(api_key=API_KEY)

    loaded = Integration.objects.get(pk=integration.pk)

    assert loaded.has_api_key is True
    assert loaded.has_api_secret is False
    assert loaded.has_webhook_secret is False


def test_only_isnull_lookups_are_allowed() -> None:
    with_secrets()
    IntegrationFactory()

    assert Integration.objects.filter(api_key__isnull=False).count() == 1
    assert Integration.objects.filter(api_key__isnull=True).count() == 1
    with pytest.raises(FieldError, match="encrypted"):
        Integration.objects.filter(api_key=API_KEY).count()
    with pytest.raises(FieldError, match="encrypted"):
        # Spelled as **kwargs: the django-stubs plugin resolves a literal lookup through the
        # field's get_lookup, and this field's FieldError would crash mypy.
        Integration.objects.filter(**{"api_key__contains": "live"}).count()


def test_loaded_instance_keeps_no_plaintext_in_memory_dumps() -> None:
    integration = with_secrets()

    loaded = Integration.objects.get(pk=integration.pk)
    _ = loaded.api_key  # reading must not cache the plaintext on the instance

    assert API_KEY not in repr(loaded.__dict__)
    assert API_KEY.encode() not in pickle.dumps(loaded)
    assert API_KEY not in str(loaded)


def test_serialized_dump_holds_ciphertext_only() -> None:
    integration = with_secrets()

    dumped = serializers.serialize("json", Integration.objects.filter(pk=integration.pk))

    for plaintext in (API_KEY, API_SECRET, WEBHOOK_SECRET):
        assert plaintext not in dumped
    assert PREFIX in dumped


def test_non_string_secret_is_refused() -> None:
    integration = IntegrationFactory.build(api_key=12345)

    with pytest.raises(TypeError, match="takes a string"):
        integration.save()


def test_deferred_secret_is_loaded_and_decrypted_on_access() -> None:
    integration = with_secrets()

    loaded = Integration.objects.only("name").get(pk=integration.pk)

    assert loaded.api_key == API_KEY


def test_refresh_from_db_reads_new_secrets_and_keeps_them_encrypted() -> None:
    integration = with_secrets()
    loaded = Integration.objects.get(pk=integration.pk)
    Integration.objects.filter(pk=integration.pk).update(api_key="changed-elsewhere")

    loaded.refresh_from_db()

    assert loaded.api_key == "changed-elsewhere"
    assert "changed-elsewhere" not in repr(loaded.__dict__)


def test_refresh_from_db_of_a_tampered_row_does_not_raise_until_the_secret_is_read() -> None:
    integration = with_secrets()
    set_column(integration, "api_key", column(integration, "api_secret"))

    integration.refresh_from_db()

    assert integration.name
    with pytest.raises(DecryptionError):
        _ = integration.api_key
