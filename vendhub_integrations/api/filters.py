"""Filters several apps share."""

from typing import Any

import django_filters
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from vendhub_integrations.api.fields import IsoDateTimeFilter


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
