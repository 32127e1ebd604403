"""Hand-written statements for the processing hot path, with values and rows converted exactly as
the ORM converts them.

A worker runs four statements per webhook; compiled by the ORM each cost several times its round
trip to the database. Here the SQL text is fixed per model, and only the values go through the
fields' own ``get_db_prep_save`` and ``from_db_value`` (so an encrypted secret stays ciphertext,
a JSON column is parsed the same way, a UUID or a datetime is stored as the backend stores it).
The statements are plain SQL that PostgreSQL and SQLite both run; what only PostgreSQL can do
(several writes in one statement) the caller asks for explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def _column(field: Any) -> str:
    """A concrete field's column name (the stubs allow None, which only a non-concrete has)."""
    column = field.column
    assert isinstance(column, str)
    return column


class RowReader:
    """The columns of ``model`` in a SELECT (``columns``, each qualified by ``alias``) and the
    instance built from them (``build``), as a queryset would build it."""

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self._converters: dict[str, list[tuple[int, list[Converter], Any]]] = {}
        self._columns: dict[str, str] = {}

    def columns(self, connection: BaseDatabaseWrapper) -> str:
        known = self._columns.get(connection.vendor)
        if known is None:
            quote = connection.ops.quote_name
            known = ", ".join(f"{self.alias}.{quote(_column(field))}" for field in self.fields)
            self._columns[connection.vendor] = known
        return known

    def _converters_for(
        self, connection: BaseDatabaseWrapper
    ) -> list[tuple[int, list[Converter], Any]]:
        # Per connection alias: the backend decides (SQLite parses datetimes, PostgreSQL not).
        known = self._converters.get(connection.alias)
        if known is None:
            known = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                functions = [
                    *connection.ops.get_db_converters(column),
                    *column.get_db_converters(connection),
                ]
                if functions:
                    known.append((index, functions, column))
            self._converters[connection.alias] = known
        return known

    def build(self, row: Sequence[Any], connection: BaseDatabaseWrapper, *, offset: int = 0) -> Any:
        """The instance from ``row[offset:offset + len(fields)]``; None when its key is NULL
        (the far side of a LEFT JOIN that found nothing)."""
        values = list(row[offset : offset + len(self.fields)])
        if values[self.fields.index(self.model._meta.pk)] is None:
            return None
        for index, functions, column in self._converters_for(connection):
            for function in functions:
                values[index] = function(values[index], column, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


def param(model: type[models.Model], name: str, value: Any, connection: BaseDatabaseWrapper) -> Any:
    """``value`` as the parameter of field ``name``, prepared by the field for ``connection``."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_db_prep_save(value, connection)


def assignments(
    model: type[models.Model], connection: BaseDatabaseWrapper, values: dict[str, Any]
) -> tuple[str, list[Any]]:
    """``values`` (field name → value) as an UPDATE's ``SET`` list and its parameters."""
    quote = connection.ops.quote_name
    columns = [quote(_column(model._meta.get_field(name))) for name in values]
    params = [param(model, name, value, connection) for name, value in values.items()]
    return ", ".join(f"{column} = %s" for column in columns), params


def insert_statement(
    instance: models.Model, connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """The INSERT of a new ``instance`` (defaults and ``auto_now`` filled in as ``save`` fills
    them); call ``mark_saved`` once it ran."""
    fields = list(instance._meta.local_concrete_fields)
    quote = connection.ops.quote_name
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    columns = ", ".join(quote(_column(field)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = quote(instance._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from _meta)
    return sql, params


def insert_from_statement(
    instance: models.Model, connection: BaseDatabaseWrapper, *, source: str
) -> tuple[str, list[Any]]:
    """The INSERT of a new ``instance`` once per row of ``source`` (a CTE's name): none when
    ``source`` is empty. Each value is cast to its column's type (a parameter in a SELECT list
    has none of its own); call ``mark_saved`` when it inserted."""
    fields = list(instance._meta.local_concrete_fields)
    quote = connection.ops.quote_name
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    columns = ", ".join(quote(_column(field)) for field in fields)
    values = ", ".join(f"CAST(%s AS {field.cast_db_type(connection)})" for field in fields)
    table = quote(instance._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) SELECT {values} FROM {source}"  # noqa: S608 (names from _meta)
    return sql, params


def mark_saved(instance: models.Model, connection: BaseDatabaseWrapper) -> None:
    instance._state.adding = False
    instance._state.db = connection.alias
