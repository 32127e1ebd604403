"""Date-time fields and filters of the API that hold for any time a client may send.

A time far in the past has a local offset with seconds (Asia/Tashkent's mean solar time before
1924 is +04:37:11), which RFC 3339 cannot write, and an offset PostgreSQL refuses (+21:36) made a
filter a 500. These fields write such a time in UTC and refuse what cannot be a time with 400.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def _utc_or_none(value: datetime) -> datetime | None:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


class DateTimeField(serializers.DateTimeField):
    """DRF's, in the current time zone unless its offset is not whole minutes (then UTC)."""

    def to_internal_value(self, value: Any) -> datetime:
        result = super().to_internal_value(value)
        if _utc_or_none(result) is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        return result

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            local = self.enforce_timezone(value)
            offset = local.utcoffset()
            if offset is not None and offset.total_seconds() % 60:
                return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return super().to_representation(value)


class _IsoDateTimeFormField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        utc = _utc_or_none(result)
        if utc is None:
            raise forms.ValidationError("Enter a valid date and time.", code="invalid")
        return utc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``?created_after=`` and friends: an ISO 8601 time, compared in UTC."""

    field_class = _IsoDateTimeFormField


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean is ``true`` or ``false``: DRF would also take ``0``, ``"yes"`` or ``"on"``,
    values the schema calls the wrong type. The browsable API's HTML form (a QueryDict, whose
    values are all text) keeps DRF's reading."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if _from_html_form(self):
            result: bool = super().to_internal_value(data)
            return result
        self.fail("invalid", input=data)
        raise AssertionError("unreachable")  # fail() raises


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (``config``, ``metadata``), documented as one: the schema's ``{}`` (any
    value) let a client send ``null`` or a list, which the model refuses."""

    default_error_messages = {"not_an_object": "Must be a JSON object."}

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_an_object")
        return value


def _from_html_form(field: serializers.Field) -> bool:
    """Whether the input came from the browsable API's HTML form (a QueryDict: all text)."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class StrictCharField(serializers.CharField):
    """A JSON string is a string: DRF would also take ``0`` or ``1.5`` and store their text,
    values the schema calls the wrong type."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) and not _from_html_form(self):
            self.fail("invalid")
        result: str = super().to_internal_value(data)
        return result


class StrictRegexField(StrictCharField, serializers.RegexField):
    """``RegexField`` with ``StrictCharField``'s type check."""
