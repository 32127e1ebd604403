"""Filters several apps share."""

import django_filters


class IntegrationIdFilter(django_filters.UUIDFilter):
    """``?integration=<uuid>``: by id, so it also finds rows of a soft-deleted integration."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("field_name", "integration_id")
        kwargs.setdefault("label", "Integration id")
        super().__init__(**kwargs)


class CreatedRangeFilterSet(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
