"""Filters several apps share, and the backend that holds query parameters to their schema."""

import re
from typing import Any

import django_filters
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from core.api.fields import IsoDateTimeFilter


class IntegrationIdFilter(django_filters.UUIDFilter):
    """``?integration=<uuid>``: by id, so it also finds rows of a soft-deleted integration."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "integration_id")
        kwargs.setdefault("label", "Integration id")
        super().__init__(**kwargs)


class CreatedRangeFilterSet(django_filters.FilterSet):
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")


class SearchFilter(filters.SearchFilter):
    """DRF's ``?search=``, whose bad values (a NUL character) are a 400 naming the parameter."""

    def get_search_terms(self, request: Any) -> list[str]:
        try:
            return super().get_search_terms(request)
        except ValidationError as error:
            raise ValidationError({self.search_param: error.detail}) from None


_WHOLE_NUMBER = re.compile(r"-?\d+")
_INTEGER_FIELDS = (models.IntegerField, models.BigIntegerField, models.SmallIntegerField)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, held to what the OpenAPI schema says of each parameter: a boolean is
    ``true`` or ``false``, an integer a whole number, and a typed parameter (a time, a number, a
    UUID, a choice) is never empty. django-filter would otherwise ignore such a value and answer
    the whole list, as if the filter had not been asked for; here it is a 400 naming it."""

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = _strict_errors(filterset, request.query_params)
            if errors:
                raise ValidationError(errors)
        return filterset


def _strict_errors(filterset: Any, params: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, declared in filterset.filters.items():
        if name not in params:
            continue
        value = params.get(name)
        if isinstance(declared, django_filters.BooleanFilter):
            if value not in ("true", "false"):
                errors[name] = ["Use true or false."]
        elif isinstance(declared, django_filters.CharFilter) and not isinstance(
            declared, django_filters.UUIDFilter
        ):
            continue
        elif value == "":
            errors[name] = ["This parameter may not be empty."]
        elif (
            isinstance(declared, django_filters.NumberFilter)
            and _is_integer(filterset, declared)
            and not _WHOLE_NUMBER.fullmatch(value)
        ):
            errors[name] = ["Enter a whole number."]
    return errors


def _is_integer(filterset: Any, declared: Any) -> bool:
    try:
        field = filterset._meta.model._meta.get_field(declared.field_name)
    except Exception:  # a filter on a lookup path, not a plain field
        return False
    return isinstance(field, _INTEGER_FIELDS)
