"""A typed base for the suite's factory_boy model factories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from factory.django import DjangoModelFactory

ModelT = TypeVar("ModelT")


class ModelFactory(DjangoModelFactory[ModelT]):
    """``SomeFactory(...)`` gives the model instance: factory_boy's metaclass ``__call__`` creates
    it, which type checkers cannot see, so the call's type is spelled out here."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # mypy insists that __new__ returns the factory class; the metaclass returns the model.
        def __new__(cls, **kwargs: Any) -> ModelT: ...  # type: ignore[misc]
