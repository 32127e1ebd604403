"""A model field that keeps a credential encrypted with AES-256-GCM (see ``integrations.crypto``).

The column only ever holds ciphertext. A loaded row keeps the ciphertext in the instance; reading
the attribute decrypts it on each access (so no plaintext sits in ``__dict__``, reprs or pickles),
and a failure raises ``DecryptionError`` instead of handing back ciphertext or an empty string.
Assigning a string stores it encrypted on the next save; ``None`` or ``""`` clears it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from integrations.crypto import PREFIX, Ciphertext, keyring

# While set, reading an encrypted attribute gives what is stored instead of decrypting it.
_reading_stored_values: ContextVar[bool] = ContextVar("reading_stored_values", default=False)


@contextmanager
def stored_values() -> Iterator[None]:
    """Read encrypted attributes as stored (ciphertext), e.g. to copy them between instances."""
    token = _reading_stored_values.set(True)
    try:
        yield
    finally:
        _reading_stored_values.reset(token)


class EncryptedAttribute(DeferredAttribute):
    """Decrypts on access; the instance keeps what the database holds."""

    field: EncryptedTextField

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Ciphertext) and not _reading_stored_values.get():
            return keyring().decrypt(value, context=self.field.encryption_context)
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        # Defining __set__ makes this a data descriptor. Without it, the value Django puts in the
        # instance's __dict__ shadows __get__, and reading the attribute returned the ciphertext.
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A nullable text column holding ``enc:v1:<kid>:<base64>``; see the module docstring."""

    descriptor_class = EncryptedAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    @property
    def encryption_context(self) -> str:
        """Associated data: the column a value belongs to (``app.Model.field``)."""
        return f"{self.model._meta.label}.{self.name}"

    def stored_value(self, instance: models.Model) -> str | None:
        """What is (or will be) stored, without decrypting: ciphertext, a new plaintext, or None."""
        return instance.__dict__.get(self.attname)

    def is_set(self, instance: models.Model) -> bool:
        return bool(self.stored_value(instance))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else Ciphertext(value)

    def to_python(self, value: Any) -> Any:
        if (
            isinstance(value, str)
            and not isinstance(value, Ciphertext)
            and value.startswith(PREFIX)
        ):
            return Ciphertext(value)
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        # The raw value: saving a loaded row must not decrypt and re-encrypt every secret.
        return self.stored_value(model_instance)

    def value_from_object(self, obj: models.Model) -> Any:
        # Used by serializers such as dumpdata: they get ciphertext, never the plaintext.
        return self.stored_value(obj)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, Ciphertext):
            return str(value)
        if not isinstance(value, str):
            raise TypeError(f"{self.encryption_context} takes a string, not {type(value).__name__}")
        return str(keyring().encrypt(value, context=self.encryption_context))

    def get_lookup(self, lookup_name: str) -> Any:
        # Every value has its own nonce, so only "is it set" can be asked of the column.
        if lookup_name != "isnull":
            raise FieldError(f"{self.name} is encrypted: only the isnull lookup is supported")
        return super().get_lookup(lookup_name)
